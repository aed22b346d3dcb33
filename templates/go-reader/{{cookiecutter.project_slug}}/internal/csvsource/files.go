package csvsource

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// UnreachableError says the source cannot be read at all: the path is
// missing, unreadable, or holds no CSV file.
type UnreachableError struct {
	Path   string
	Reason string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("source %s is unreachable: %s", e.Path, e.Reason)
}

// ListFiles returns the CSV files at path: the file itself, or the *.csv
// files of a directory in name order (names starting with "." or "_", such
// as hidden staging files, are skipped).
func ListFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &UnreachableError{Path: path, Reason: describe(err)}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, &UnreachableError{Path: path, Reason: describe(err)}
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		if strings.EqualFold(filepath.Ext(name), ".csv") {
			files = append(files, filepath.Join(path, name))
		}
	}
	if len(files) == 0 {
		return nil, &UnreachableError{Path: path, Reason: "the directory holds no *.csv file"}
	}
	sort.Strings(files) // os.ReadDir sorts already; this keeps the promise explicit
	return files, nil
}

func describe(err error) string {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

// csvFile is one open CSV file and its parsed header.
type csvFile struct {
	name   string
	file   *os.File
	reader *csv.Reader
	header []string
}

const utf8BOM = "\ufeff"

// openCSV opens name and reads its header row.
func openCSV(name string, delimiter rune) (*csvFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &UnreachableError{Path: name, Reason: describe(err)}
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.Comma = delimiter
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty: a header row is required", name)
		}
		return nil, fmt.Errorf("%s: cannot read the header row: %w", name, err)
	}
	header = append([]string(nil), header...) // ReuseRecord: keep our own copy
	header[0] = strings.TrimPrefix(header[0], utf8BOM)
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if h == "" {
			f.Close()
			return nil, fmt.Errorf("%s: column %d has an empty name in the header row", name, i+1)
		}
		if seen[h] {
			f.Close()
			return nil, fmt.Errorf("%s: column %q appears twice in the header row", name, h)
		}
		seen[h] = true
	}
	r.FieldsPerRecord = len(header)
	return &csvFile{name: name, file: f, reader: r, header: header}, nil
}

func (c *csvFile) Close() error { return c.file.Close() }
