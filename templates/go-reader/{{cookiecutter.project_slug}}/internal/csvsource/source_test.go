package csvsource

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

const header = "id,name,amount,active,created_at,day\n"

// write makes dir/name with the given rows after the standard header.
func write(t *testing.T, dir, name string, rows ...string) {
	t.Helper()
	body := header + strings.Join(rows, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dataset(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "part-00000.csv",
		`1,"alpha, ""quoted""",10.5,true,2024-01-02T03:04:05Z,2024-01-02`,
		`2,,,false,,2024-01-03`,
	)
	write(t, dir, "part-00001.csv",
		`3,Zoë,-7.25,,2024-01-04T12:30:00Z,`,
		`4,delta,1,true,2024-01-05T00:00:00Z,2024-01-05`,
	)
	write(t, dir, ".part-00002.csv.tmp", `99,hidden,0,true,2024-01-05T00:00:00Z,2024-01-05`)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readAll returns every row as strings, one batch size per emitted batch.
func readAll(t *testing.T, src *Source, after *After) ([][]string, []int) {
	t.Helper()
	var rows [][]string
	var sizes []int
	err := src.Read(after, func(rec arrow.RecordBatch) error {
		if !rec.Schema().Equal(src.Schema()) {
			t.Fatalf("batch schema %s differs from %s", rec.Schema(), src.Schema())
		}
		sizes = append(sizes, int(rec.NumRows()))
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]string, rec.NumCols())
			for c, col := range rec.Columns() {
				if col.IsNull(r) {
					row[c] = "NULL"
				} else {
					row[c] = col.ValueStr(r)
				}
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, sizes
}

func TestSchemaIsInferredFromTheFirstFile(t *testing.T) {
	src, err := Open(Options{Path: dataset(t), Delimiter: ',', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"int64", "utf8", "float64", "bool", "timestamp[us, tz=UTC]", "date32"}
	for i, f := range src.Schema().Fields() {
		if f.Type.String() != want[i] || !f.Nullable {
			t.Errorf("column %s: %s (nullable %v), want %s", f.Name, f.Type, f.Nullable, want[i])
		}
	}
	if len(src.Files()) != 2 {
		t.Errorf("files %v: hidden and non-CSV files must be skipped", src.Files())
	}
}

func TestValuesNullsAndBatches(t *testing.T) {
	src, err := Open(Options{Path: dataset(t), Delimiter: ',', BatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	rows, sizes := readAll(t, src, nil)
	if len(sizes) != 2 || sizes[0] != 3 || sizes[1] != 1 {
		t.Errorf("batch sizes %v, want [3 1]", sizes)
	}
	want := [][]string{
		{"1", `alpha, "quoted"`, "10.5", "true", "2024-01-02T03:04:05Z", "2024-01-02"},
		{"2", "NULL", "NULL", "false", "NULL", "2024-01-03"},
		{"3", "Zoë", "-7.25", "NULL", "2024-01-04T12:30:00Z", "NULL"},
		{"4", "delta", "1", "true", "2024-01-05T00:00:00Z", "2024-01-05"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: got %q, want %q", i, rows[i], want[i])
		}
	}
}

func TestTimestampsAreUTCMicroseconds(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.csv", `1,x,1,true,2024-01-02T05:04:05.25+02:00,2024-01-02`)
	src, err := Open(Options{Path: dir, Delimiter: ',', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	err = src.Read(nil, func(rec arrow.RecordBatch) error {
		got := rec.Column(4).(*array.Timestamp).Value(0)
		want := time.Date(2024, 1, 2, 3, 4, 5, 250_000_000, time.UTC).UnixMicro()
		if int64(got) != want {
			t.Errorf("got %d, want %d", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIncrementalKeepsOnlyRowsAfterTheCursor(t *testing.T) {
	src, err := Open(Options{Path: dataset(t), Delimiter: ',', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		field string
		after string
		want  []string
	}{
		{"id", `2`, []string{"3", "4"}},
		{"id", `null`, []string{"1", "2", "3", "4"}},
		{"amount", `1`, []string{"1"}},
		{"created_at", `"2024-01-04T12:30:00+00:00"`, []string{"4"}},
		{"created_at", `"2024-01-02T03:04:05"`, []string{"3", "4"}},
		{"day", `"2024-01-03"`, []string{"4"}},
		{"name", `"beta"`, []string{"4"}},
	}
	for _, c := range cases {
		rows, _ := readAll(t, src, &After{Field: c.field, Value: json.RawMessage(c.after)})
		var ids []string
		for _, r := range rows {
			ids = append(ids, r[0])
		}
		if strings.Join(ids, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s > %s: got ids %v, want %v", c.field, c.after, ids, c.want)
		}
	}
}

func TestBadCursorsAreErrors(t *testing.T) {
	src, err := Open(Options{Path: dataset(t), Delimiter: ',', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []After{
		{Field: "missing", Value: json.RawMessage(`1`)},
		{Field: "id", Value: json.RawMessage(`"one"`)},
		{Field: "day", Value: json.RawMessage(`"yesterday"`)},
	} {
		if err := src.Read(&after, func(arrow.RecordBatch) error { return nil }); err == nil {
			t.Errorf("%s > %s: want an error", after.Field, after.Value)
		}
	}
}

func TestALaterValueThatDoesNotFitNamesFileLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.csv", `1,x,1.5,true,2024-01-02T03:04:05Z,2024-01-02`)
	write(t, dir, "b.csv", `2,y,1.5,true,2024-01-02T03:04:05Z,2024-01-02`, `three,z,1,true,,`)
	src, err := Open(Options{Path: dir, Delimiter: ',', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	err = src.Read(nil, func(arrow.RecordBatch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "b.csv, line 3, column 1 (\"id\")") {
		t.Errorf("got %v", err)
	}
}

func TestFilesMustShareTheHeader(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.csv", `1,x,1.5,true,2024-01-02T03:04:05Z,2024-01-02`)
	if err := os.WriteFile(filepath.Join(dir, "b.csv"), []byte("id,other\n2,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(Options{Path: dir, Delimiter: ',', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	err = src.Read(nil, func(arrow.RecordBatch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "differs from the first file") {
		t.Errorf("got %v", err)
	}
}

func TestUnreachableSources(t *testing.T) {
	empty := t.TempDir()
	for _, path := range []string{filepath.Join(empty, "missing"), empty} {
		var unreachable *UnreachableError
		if err := Check(Options{Path: path, Delimiter: ','}); !errors.As(err, &unreachable) {
			t.Errorf("%s: got %v, want an UnreachableError", path, err)
		}
		if _, err := Open(Options{Path: path, Delimiter: ',', BatchRows: 1}); !errors.As(err, &unreachable) {
			t.Errorf("%s: got %v, want an UnreachableError", path, err)
		}
	}
	if err := Check(Options{Path: dataset(t), Delimiter: ','}); err != nil {
		t.Errorf("a good source: %v", err)
	}
}

func TestASingleFileAndAnotherDelimiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(path, []byte("\ufeffa;b\n1;x\n2;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(Options{Path: path, Delimiter: ';', BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readAll(t, src, nil)
	if src.Schema().Field(0).Name != "a" || len(rows) != 2 || rows[1][1] != "NULL" {
		t.Errorf("schema %s rows %v", src.Schema(), rows)
	}
}
