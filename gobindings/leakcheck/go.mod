module github.com/cgoguard/cgoguard/gobindings/leakcheck

go 1.24

require github.com/cgoguard/cgoguard v0.0.0-00010101000000-000000000000

require go.uber.org/goleak v1.3.0

replace github.com/cgoguard/cgoguard => ../..
