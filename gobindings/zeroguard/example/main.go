// Command example is a go-zero REST service wired with zeroguard: GET /ok
// answers, GET /crash makes a native call that faults (a crash fixture
// standing for your C library). It serves on -port, or with -demo requests
// both routes once, prints what a client sees, and exits.
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/zeromicro/go-zero/core/logx"
	"github.com/zeromicro/go-zero/rest"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/zeroguard"
)

func main() {
	port := flag.Int("port", 8080, "listen port on 127.0.0.1")
	demo := flag.Bool("demo", false, "request /ok and /crash once, print the answers, exit")
	flag.Parse()
	if err := cgoguard.Init(); err != nil {
		log.Fatal(err)
	}
	logx.Disable() // go-zero's own access log; the incidents go to rep's logger
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}

	var conf rest.RestConf
	conf.Name, conf.Host, conf.Port = "example", "127.0.0.1", *port
	server := rest.MustNewServer(conf)
	defer server.Stop()
	server.Use(zeroguard.Middleware(httpguard.WithReporter(rep)))
	server.AddRoute(rest.Route{Method: http.MethodGet, Path: "/ok",
		Handler: func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }})
	server.AddRoute(rest.Route{Method: http.MethodGet, Path: "/crash",
		Handler: func(w http.ResponseWriter, r *http.Request) {
			if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
				httpguard.WriteError(w, r, err) // or: panic(err)
				return
			}
			fmt.Fprintln(w, "the native call returned?")
		}})
	if !*demo {
		log.Printf("serving on http://127.0.0.1:%d (try /ok and /crash)", *port)
		server.Start()
		return
	}
	go server.Start()
	base := fmt.Sprintf("127.0.0.1:%d", *port)
	for range 100 { // until it listens
		if c, err := net.Dial("tcp", base); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{"/ok", "/crash", "/ok"} {
		show("http://" + base + path)
	}
}
