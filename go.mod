module github.com/cgoguard/cgoguard

go 1.24
