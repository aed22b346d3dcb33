package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func setup(t *testing.T) (config string, dir string) {
	dir = t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, data, "part-00000.csv", "id,name\n1,a\n2,\n3,c\n")
	config = writeFile(t, dir, "config.json", `{"path": "`+data+`", "batch_rows": 2}`)
	return config, dir
}

func TestSchemaWritesAStreamWithoutBatches(t *testing.T) {
	config, _ := setup(t)
	var out, errOut bytes.Buffer
	if code := run([]string{"schema", "--config", config}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	r, err := ipc.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if r.Schema().NumFields() != 2 || r.Next() {
		t.Errorf("schema %s; want two fields and no batch", r.Schema())
	}
}

func TestReadStreamsBatchesAndHonoursTheState(t *testing.T) {
	config, dir := setup(t)
	state := writeFile(t, dir, "state.json", `{"cursor_field": "id", "after": 1}`)
	var out, errOut bytes.Buffer
	if code := run([]string{"read", "--config", config, "--state", state}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	r, err := ipc.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var ids []string
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			ids = append(ids, rec.Column(0).ValueStr(i))
		}
		if rec.Column(1).NullN() != 1 {
			t.Errorf("the empty name must be null")
		}
	}
	if r.Err() != nil || strings.Join(ids, ",") != "2,3" {
		t.Errorf("ids %v, err %v", ids, r.Err())
	}
}

func TestExitStatuses(t *testing.T) {
	config, dir := setup(t)
	missing := writeFile(t, dir, "missing.json", `{"path": "`+filepath.Join(dir, "nope")+`"}`)
	unknown := writeFile(t, dir, "unknown.json", `{"path": "x", "colour": "red"}`)
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"check", "--config", config}, 0, ""},
		{[]string{"check", "--config", missing}, exitFailed, "unreachable"},
		{[]string{"read", "--config", missing}, exitFailed, "unreachable"},
		{[]string{"schema", "--config", unknown}, exitFailed, "colour"},
		{[]string{"write", "--config", config}, exitUsage, "unknown command"},
		{[]string{"read"}, exitUsage, "--config is required"},
		{[]string{"schema", "--config", config, "--state", config}, exitUsage, "state"},
		{[]string{}, exitUsage, "no command"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(errOut.String(), c.says) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errOut.String(), c.says)
		}
	}
}
