// Command {{ cookiecutter.project_slug }} is the Dativo reader "{{ cookiecutter.connector }}": an
// executable plugin speaking the protocol of docs/executable-plugins.md.
//
//	{{ cookiecutter.project_slug }} schema --config FILE            an Arrow IPC stream holding the schema
//	{{ cookiecutter.project_slug }} read --config FILE [--state S]  an Arrow IPC stream of record batches
//	{{ cookiecutter.project_slug }} check --config FILE             exit 0 if the source is reachable
//
// Results go to stdout, log lines and errors to stderr. Exit status: 0 done,
// 1 failed (the reason on stderr), 2 bad usage.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"{{ cookiecutter.go_module }}/internal/csvsource"
)

const (
	exitFailed = 1
	exitUsage  = 2
)

// Config is the plugin's config as the runtime hands it over (already
// validated against config_schema in dativo-plugin.json; keep the two in step).
type Config struct {
	Path      string `json:"path"`
	Delimiter string `json:"delimiter"`
	BatchRows int    `json:"batch_rows"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run executes one command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "ERROR: %v\n", err)
	var usage usageError
	if errors.As(err, &usage) {
		fmt.Fprintln(stderr, "usage: {{ cookiecutter.project_slug }} schema|read|check --config FILE [--state FILE]")
		return exitUsage
	}
	return exitFailed
}

func dispatch(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	command, rest := args[0], args[1:]
	flags := flag.NewFlagSet(command, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	configPath := flags.String("config", "", "the JSON config file")
	var statePath *string
	switch command {
	case "schema", "check":
	case "read":
		statePath = flags.String("state", "", "the JSON incremental state file")
	default:
		return usageError{fmt.Sprintf("unknown command %q", command)}
	}
	if err := flags.Parse(rest); err != nil {
		return usageError{err.Error()}
	}
	if flags.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", flags.Arg(0))}
	}
	if *configPath == "" {
		return usageError{"--config is required"}
	}
	opts, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	switch command {
	case "check":
		return csvsource.Check(opts)
	case "schema":
		return schemaCommand(opts, stdout)
	}
	var after *csvsource.After
	if *statePath != "" {
		if after, err = loadState(*statePath); err != nil {
			return err
		}
	}
	return readCommand(opts, after, stdout)
}

// loadConfig reads the config file once and applies the defaults.
func loadConfig(path string) (csvsource.Options, error) {
	cfg := Config{Delimiter: ",", BatchRows: 10000}
	if err := decodeFile(path, &cfg); err != nil {
		return csvsource.Options{}, fmt.Errorf("config: %w", err)
	}
	if cfg.Path == "" {
		return csvsource.Options{}, errors.New("config: path: a CSV file or directory is required")
	}
	delimiter, size := utf8.DecodeRuneInString(cfg.Delimiter)
	if size != len(cfg.Delimiter) || delimiter == utf8.RuneError || delimiter == '"' || delimiter == '\n' || delimiter == '\r' {
		return csvsource.Options{}, fmt.Errorf("config: delimiter: must be one character other than a quote or a line break")
	}
	if cfg.BatchRows < 1 {
		return csvsource.Options{}, fmt.Errorf("config: batch_rows: must be at least 1")
	}
	return csvsource.Options{Path: cfg.Path, Delimiter: delimiter, BatchRows: cfg.BatchRows}, nil
}

func loadState(path string) (*csvsource.After, error) {
	var after csvsource.After
	if err := decodeFile(path, &after); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if after.Field == "" {
		return nil, errors.New("state: cursor_field is missing")
	}
	return &after, nil
}

// decodeFile decodes one JSON object, refusing keys the target does not know.
func decodeFile(path string, target any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	return dec.Decode(target)
}

func schemaCommand(opts csvsource.Options, stdout io.Writer) error {
	src, err := csvsource.Open(opts)
	if err != nil {
		return err
	}
	w := ipc.NewWriter(stdout, ipc.WithSchema(src.Schema()))
	return w.Close() // the schema message, then end-of-stream: zero batches
}

// readCommand streams the batches; each one leaves as soon as it is made.
func readCommand(opts csvsource.Options, after *csvsource.After, stdout io.Writer) error {
	src, err := csvsource.Open(opts)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, 1<<20)
	w := ipc.NewWriter(out, ipc.WithSchema(src.Schema()))
	err = src.Read(after, func(rec arrow.RecordBatch) error {
		if err := w.Write(rec); err != nil {
			return err
		}
		return out.Flush()
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return out.Flush()
}
