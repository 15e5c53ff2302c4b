// Command example is an echo service wired with echoguard: GET /ok answers,
// GET /crash returns the error of a native call that faults (a crash
// fixture standing for your C library). It serves on -addr, or with -demo
// requests both routes once, prints what a client sees, and exits.
package main

import (
	"flag"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/echoguard"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	demo := flag.Bool("demo", false, "request /ok and /crash once, print the answers, exit")
	flag.Parse()
	if err := cgoguard.Init(); err != nil {
		log.Fatal(err)
	}
	rep := httpguard.WithReporter(incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(echoguard.Middleware(rep))
	e.HTTPErrorHandler = echoguard.ErrorHandler(e.DefaultHTTPErrorHandler, rep) // for errors from outer middleware
	e.GET("/ok", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/crash", func(c echo.Context) error {
		return cgoguard.Call(fx.NullWrite.Fn, nil) // a returned fault is an incident too
	})

	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if !*demo {
		log.Printf("serving on http://%s (try /ok and /crash)", lis.Addr())
		log.Fatal(http.Serve(lis, e))
	}
	go http.Serve(lis, e)
	for _, path := range []string{"/ok", "/crash", "/ok"} {
		show("http://" + lis.Addr().String() + path)
	}
}
