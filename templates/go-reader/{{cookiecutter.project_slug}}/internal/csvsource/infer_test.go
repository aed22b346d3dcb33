package csvsource

import (
	"testing"
	"time"
)

func TestClassifyAndResolve(t *testing.T) {
	cases := []struct {
		values []string
		want   Kind
	}{
		{[]string{"1", "-2", "+30"}, Int64},
		{[]string{"1", "2.5"}, Float64},
		{[]string{"1e3", ".5", "-0.25"}, Float64},
		{[]string{"true", "False", "TRUE"}, Bool},
		{[]string{"2024-01-02T03:04:05Z", "2024-01-02 03:04:05.123456+02:00"}, TimestampUTC},
		{[]string{"2024-01-02T03:04:05", "2024-01-02T03:04:05.5"}, Timestamp},
		{[]string{"2024-01-02", "1999-12-31"}, Date32},
		{[]string{"2024-01-02", "2024-01-02T03:04:05Z"}, String},
		{[]string{"1", "true"}, String},
		{[]string{"NaN", "Inf"}, String},
		{[]string{"0x10"}, String},
		{[]string{"99999999999999999999"}, String},         // beyond int64: never rounded
		{[]string{"2024-01-02T03:04:05.1234567Z"}, String}, // beyond microseconds
		{[]string{"2024-13-02"}, String},
		{[]string{"hello"}, String},
	}
	for _, c := range cases {
		f := everyKind
		for _, v := range c.values {
			f &= classify(v)
		}
		if got := resolve(f, true); got != c.want {
			t.Errorf("%q: got %s, want %s", c.values, got, c.want)
		}
	}
	if got := resolve(everyKind, false); got != String {
		t.Errorf("a column without values: got %s, want string", got)
	}
}

func TestIsDecimal(t *testing.T) {
	good := []string{"0", "-1", "1.", ".5", "1.5e10", "2E-3", "+7.25"}
	bad := []string{"", ".", "-", "1.2.3", "1e", "1e+", "e5", "1,5", "nan", "1_000"}
	for _, v := range good {
		if !isDecimal(v) {
			t.Errorf("%q should be a decimal", v)
		}
	}
	for _, v := range bad {
		if isDecimal(v) {
			t.Errorf("%q should not be a decimal", v)
		}
	}
}

func TestParseISO(t *testing.T) {
	cases := []struct {
		v                string
		want             string // RFC 3339 in UTC, "" when refused
		hasTime, hasZone bool
	}{
		{"2024-02-29", "2024-02-29T00:00:00Z", false, false},
		{"2023-02-29", "", false, false},
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", true, true},
		{"2024-01-02 03:04:05.5+02:00", "2024-01-02T01:04:05.5Z", true, true},
		{"2024-01-02T03:04:05.123456-01:30", "2024-01-02T04:34:05.123456Z", true, true},
		{"2024-01-02T03:04:05.123", "2024-01-02T03:04:05.123Z", true, false},
		{"2024-01-02T03:04:05.1234567Z", "", false, false},
		{"2024-01-02T24:00:00Z", "", false, false},
		{"2024-01-02T03:04:05+0200", "", false, false},
		{"2024-01-02T03:04", "", false, false},
		{"2024-1-02", "", false, false},
		{"2024-01-02T03:04:05.Z", "", false, false},
	}
	for _, c := range cases {
		got, hasTime, hasZone, ok := parseISO(c.v)
		if ok != (c.want != "") {
			t.Errorf("%q: ok=%v", c.v, ok)
			continue
		}
		if ok && (got.Format(time.RFC3339Nano) != c.want || hasTime != c.hasTime || hasZone != c.hasZone) {
			t.Errorf("%q: got %s (time %v zone %v)", c.v, got.Format(time.RFC3339Nano), hasTime, hasZone)
		}
	}
}
