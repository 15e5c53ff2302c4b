package zeroguard_test

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/zeromicro/go-zero/rest"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/zeroguard"
)

// One line wires the middleware into every route of a go-zero server.
func ExampleMiddleware() {
	decode := fx.NullWrite.Fn // stands for unsafe.Pointer(C.your_function)
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}

	var conf rest.RestConf
	conf.Host, conf.Port = "127.0.0.1", 8888
	server := rest.MustNewServer(conf)
	defer server.Stop()
	server.Use(zeroguard.Middleware(httpguard.WithReporter(rep)))
	server.AddRoute(rest.Route{Method: http.MethodPost, Path: "/decode",
		Handler: func(w http.ResponseWriter, r *http.Request) {
			if err := cgoguard.Call(decode, nil); err != nil {
				httpguard.WriteError(w, r, err) // or: panic(err)
				return
			}
			w.Write([]byte("decoded"))
		}})
	server.Start()
}
