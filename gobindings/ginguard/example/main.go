// Command example is a gin service wired with ginguard: GET /ok answers,
// GET /crash makes a native call that faults (a crash fixture standing for
// your C library). It serves on -addr, or with -demo requests both routes
// once, prints what a client sees, and exits.
package main

import (
	"flag"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/ginguard"
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
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(ginguard.Middleware(httpguard.WithReporter(rep))) // in place of gin.Recovery()
	r.GET("/ok", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET("/crash", func(c *gin.Context) {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			c.Error(err) // or: panic(err)
			return
		}
		c.String(http.StatusOK, "the native call returned?\n")
	})

	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if !*demo {
		log.Printf("serving on http://%s (try /ok and /crash)", lis.Addr())
		log.Fatal(http.Serve(lis, r))
	}
	go http.Serve(lis, r)
	for _, path := range []string{"/ok", "/crash", "/ok"} {
		show("http://" + lis.Addr().String() + path)
	}
}
