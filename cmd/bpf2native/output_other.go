//go:build !linux

package main

func writeUnnamed(path string, data []byte) (string, error) {
	return "", errNoUnnamedFiles
}
