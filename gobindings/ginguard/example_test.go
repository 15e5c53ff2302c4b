package ginguard_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/gin-gonic/gin"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/ginguard"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// One line wires the middleware; a native fault in a handler, panicked or
// passed to c.Error, answers 500 with an incident ID and nothing else.
func ExampleMiddleware() {
	decode := fx.NullWrite.Fn // stands for unsafe.Pointer(C.your_function)
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}

	r := gin.New()
	r.Use(ginguard.Middleware(httpguard.WithReporter(rep))) // in place of gin.Recovery()
	r.POST("/decode", func(c *gin.Context) {
		if err := cgoguard.Call(decode, nil); err != nil {
			c.Error(err) // or: panic(err)
			return
		}
		c.String(http.StatusOK, "decoded")
	})

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("POST", "/decode", nil))
	id := w.Header().Get(httpguard.HeaderIncidentID)
	fmt.Println(w.Code, w.Body.String() == `{"error":"internal server error","incident_id":"`+id+`"}`+"\n")
	// Output: 500 true
}
