//go:build !linux

package main

func writeUnnamed(dir, base string, data []byte) (string, error) {
	return "", errNoUnnamedFiles
}
