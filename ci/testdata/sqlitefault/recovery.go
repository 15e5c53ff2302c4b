package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// The recovery this program recommends for a native fault inside SQLite
// (the program built with the flag turns it into a panic whose value is a
// *cgoguard.NativeFault). The connection that faulted is left with its
// SQLite mutex held by the thread that faulted and its statement stopped in
// the middle of sqlite3_step: no code may touch it again, from any thread,
// Close included (sqlite3_close_v2 waits for that mutex). So the wrapper
// below, around go-sqlite3's connections:
//
//   - turns the fault into an error (the *NativeFault) instead of letting it
//     unwind through database/sql, which would keep the connection "in use"
//     for good: with SetMaxOpenConns(n), n faults would hang the pool;
//   - marks the connection poisoned: database/sql asks IsValid and
//     ResetSession before it reuses a connection, and closes it on false /
//     driver.ErrBadConn;
//   - makes Close of a poisoned connection (and of its rows and statements)
//     return without calling SQLite: the native connection is leaked on
//     purpose, with the locks it holds (see main.go for what they block).
//
// The fault is not returned as driver.ErrBadConn: database/sql would retry
// the same statement on another connection, which would fault again and
// poison that one too.

type connector struct {
	drv    *sqlite3.SQLiteDriver
	dsn    string
	leaked atomic.Int64 // poisoned connections database/sql has closed
}

func (c *connector) Connect(context.Context) (driver.Conn, error) {
	ci, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &conn{inner: ci.(*sqlite3.SQLiteConn), c: c}, nil
}

func (c *connector) Driver() driver.Driver { return c.drv }

type conn struct {
	inner    *sqlite3.SQLiteConn
	c        *connector
	poisoned atomic.Bool
}

// guard runs f; a contained native fault poisons the connection and comes
// back as an error.
func (c *conn) guard(f func() error) (err error) {
	if c.poisoned.Load() {
		return driver.ErrBadConn
	}
	defer func() {
		if v := recover(); v != nil {
			nf, ok := v.(error)
			if !ok || !errors.Is(nf, cgoguard.ErrNativeFault) {
				panic(v)
			}
			c.poisoned.Store(true)
			err = nf
		}
	}()
	return f()
}

func (c *conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (r driver.Rows, err error) {
	err = c.guard(func() (err error) { r, err = c.inner.QueryContext(ctx, q, args); return err })
	if err != nil {
		return nil, err
	}
	return &rows{inner: r, c: c}, nil
}

func (c *conn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (r driver.Result, err error) {
	err = c.guard(func() (err error) { r, err = c.inner.ExecContext(ctx, q, args); return err })
	return r, err
}

// Prepare is required by driver.Conn; this program's queries all go
// through QueryContext and ExecContext.
func (c *conn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("sqlitefault: prepared statements are not wrapped")
}

func (c *conn) Begin() (driver.Tx, error) {
	return nil, errors.New("sqlitefault: transactions are not wrapped")
}

func (c *conn) IsValid() bool { return !c.poisoned.Load() }

func (c *conn) ResetSession(context.Context) error {
	if c.poisoned.Load() {
		return driver.ErrBadConn
	}
	return nil
}

func (c *conn) Close() error {
	if c.poisoned.Load() {
		c.c.leaked.Add(1)
		return nil // never call into the poisoned connection
	}
	return c.inner.Close()
}

type rows struct {
	inner driver.Rows
	c     *conn
}

func (r *rows) Columns() []string { return r.inner.Columns() }

func (r *rows) Next(dest []driver.Value) error {
	return r.c.guard(func() error { return r.inner.Next(dest) })
}

func (r *rows) Close() error {
	if r.c.poisoned.Load() {
		return nil
	}
	return r.inner.Close()
}
