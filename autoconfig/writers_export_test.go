package autoconfig

// JSString exposes the prefs-file string quoting to the black-box tests.
var JSString = jsString
