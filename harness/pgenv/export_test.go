package pgenv

// HashFiles lets the tests of package pgenv_test name a template before it
// exists (a template's name carries this hash).
var HashFiles = hashFiles
