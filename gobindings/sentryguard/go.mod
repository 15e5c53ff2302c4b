module github.com/cgoguard/cgoguard/gobindings/sentryguard

go 1.25.0

replace github.com/cgoguard/cgoguard => ../..

require (
	github.com/cgoguard/cgoguard v0.0.0-00010101000000-000000000000
	github.com/getsentry/sentry-go v0.46.2
)

require (
	golang.org/x/sys v0.18.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
