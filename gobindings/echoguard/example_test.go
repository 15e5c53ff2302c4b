package echoguard_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"

	"github.com/labstack/echo/v4"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/echoguard"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// A handler returns the native fault like any other error; the middleware
// answers it with 500 and an incident ID, and logs it.
func ExampleMiddleware() {
	decode := fx.NullWrite.Fn // stands for unsafe.Pointer(C.your_function)
	rep := httpguard.WithReporter(incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})

	e := echo.New()
	e.Use(echoguard.Middleware(rep))
	e.POST("/decode", func(c echo.Context) error {
		if err := cgoguard.Call(decode, nil); err != nil {
			return err // or: panic(err)
		}
		return c.String(200, "decoded")
	})

	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("POST", "/decode", nil))
	id := w.Header().Get(httpguard.HeaderIncidentID)
	fmt.Println(w.Code, w.Body.String() == `{"error":"internal server error","incident_id":"`+id+`"}`+"\n")
	// Output: 500 true
}

// Without the middleware, the error handler alone answers returned faults
// and leaves every other error to echo's.
func ExampleErrorHandler() {
	e := echo.New()
	e.HTTPErrorHandler = echoguard.ErrorHandler(e.DefaultHTTPErrorHandler)
	e.GET("/fault", func(c echo.Context) error { return cgoguard.Call(fx.NullRead.Fn, nil) })
	e.GET("/missing", func(c echo.Context) error { return echo.ErrNotFound })

	for _, path := range []string{"/fault", "/missing"} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, w.Code, w.Header().Get(httpguard.HeaderIncidentID) != "")
	}
	// Output:
	// /fault 500 true
	// /missing 404 false
}
