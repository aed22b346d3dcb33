// Package csvsource reads CSV files as a stream of Arrow record batches.
//
// A source is one CSV file or a directory of *.csv files read in name order.
// The first row of every file is the header; all files must have the same
// columns. An empty field is null. Each column's type is inferred from every
// value of the first file (see Kind); values of later files that do not fit
// are an error naming the file, line and column, never a silent conversion.
package csvsource

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Options say where and how to read.
type Options struct {
	Path      string // a CSV file or a directory of *.csv files
	Delimiter rune   // the field separator
	BatchRows int    // rows per record batch (the last one may have fewer)
}

// Source is an opened source with its inferred schema.
type Source struct {
	opts   Options
	files  []string
	header []string
	kinds  []Kind
	schema *arrow.Schema
}

// Open lists the files and infers the schema from the first one.
func Open(opts Options) (*Source, error) {
	if opts.BatchRows < 1 {
		return nil, fmt.Errorf("batch_rows must be at least 1, not %d", opts.BatchRows)
	}
	files, err := ListFiles(opts.Path)
	if err != nil {
		return nil, err
	}
	header, kinds, err := infer(files[0], opts.Delimiter)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(header))
	for i, name := range header {
		fields[i] = arrow.Field{Name: name, Type: kinds[i].ArrowType(), Nullable: true}
	}
	return &Source{opts: opts, files: files, header: header, kinds: kinds, schema: arrow.NewSchema(fields, nil)}, nil
}

// Check says whether the source can be read: every file opens and has a header.
func Check(opts Options) error {
	files, err := ListFiles(opts.Path)
	if err != nil {
		return err
	}
	for _, name := range files {
		f, err := openCSV(name, opts.Delimiter)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// infer reads the whole first file and returns its header and column kinds.
func infer(name string, delimiter rune) ([]string, []Kind, error) {
	f, err := openCSV(name, delimiter)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	all := make([]fits, len(f.header))
	seen := make([]bool, len(f.header))
	for i := range all {
		all[i] = everyKind
	}
	for {
		record, err := f.reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		for i, v := range record {
			if v != "" && all[i] != 1<<String { // a string column has nothing left to learn
				all[i] &= classify(v)
			}
			seen[i] = seen[i] || v != ""
		}
	}
	kinds := make([]Kind, len(all))
	for i := range all {
		kinds[i] = resolve(all[i], seen[i])
	}
	return f.header, kinds, nil
}

// Schema is the schema of every batch Read emits.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Files are the files read, in order.
func (s *Source) Files() []string { return s.files }

// Read parses every file in order and hands emit one record batch at a time,
// keeping only rows whose cursor is greater than after (nil: every row).
// emit must not keep the batch: it is released when emit returns.
func (s *Source) Read(after *After, emit func(arrow.RecordBatch) error) error {
	keep, err := s.filter(after)
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.NewGoAllocator(), s.schema)
	defer b.Release()
	appenders := make([]appender, len(s.kinds))
	for i, k := range s.kinds {
		appenders[i] = newAppender(k, b.Field(i))
	}
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		rows = 0
		return emit(rec)
	}
	for _, name := range s.files {
		if err := s.readFile(name, keep, appenders, b, func() error {
			rows++
			if rows >= s.opts.BatchRows {
				return flush()
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return flush()
}

func (s *Source) readFile(name string, keep rowFilter, appenders []appender, b *array.RecordBuilder, added func() error) error {
	f, err := openCSV(name, s.opts.Delimiter)
	if err != nil {
		return err
	}
	defer f.Close()
	if !slices.Equal(f.header, s.header) {
		return fmt.Errorf("%s: the header %q differs from the first file's %q: every file must have the same columns", name, f.header, s.header)
	}
	for {
		record, err := f.reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if keep != nil {
			ok, err := keep(record)
			if err != nil {
				line, _ := f.reader.FieldPos(0)
				return fmt.Errorf("%s, line %d: %w", name, line, err)
			}
			if !ok {
				continue
			}
		}
		for i, v := range record {
			if v == "" {
				b.Field(i).AppendNull()
			} else if err := appenders[i](v); err != nil {
				line, col := f.reader.FieldPos(i)
				return fmt.Errorf("%s, line %d, column %d (%q): %w; the type was inferred from %s", name, line, col, s.header[i], err, s.files[0])
			}
		}
		if err := added(); err != nil {
			return err
		}
	}
}
