package schema

import "testing"

func TestCanRaiseReadsWhatAFunctionSaysItDoes(t *testing.T) {
	for _, c := range []struct {
		language, body string
		want           bool
	}{
		{"plpgsql", "BEGIN RAISE EXCEPTION 'no DDL now'; END", true},
		{"plpgsql", "BEGIN RAISE 'no DDL now'; END", true},
		{"plpgsql", "BEGIN RAISE SQLSTATE '42501'; END", true},
		{"plpgsql", "BEGIN RAISE insufficient_privilege; END", true},
		{"plpgsql", "BEGIN ASSERT tg_tag <> 'DROP TABLE'; END", true},
		{"plpgsql", "BEGIN RAISE NOTICE 'ddl: %', tg_tag; END", false},
		{"plpgsql", "BEGIN raise warning 'careful'; INSERT INTO audit VALUES (tg_tag); END", false},
		{"plpgsql", "BEGIN -- RAISE EXCEPTION is what we used to do\n RAISE LOG 'x'; END", false},
		{"plpgsql", "BEGIN RAISE NOTICE 'we never RAISE EXCEPTION here'; END", false},
		{"plpgsql", "BEGIN /* RAISE EXCEPTION */ NULL; END", false},
		{"c", "event_trigger_fn", true},
	} {
		if got := canRaise(c.language, c.body); got != c.want {
			t.Errorf("canRaise(%q, %q) = %t; want %t", c.language, c.body, got, c.want)
		}
	}
}
