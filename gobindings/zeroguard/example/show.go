package main

import (
	"fmt"
	"io"
	"net/http"
)

// show prints what a client gets from url: status, incident header, body.
func show(url string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Println(url, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("GET %s -> %d X-Incident-Id=%q %s", resp.Request.URL.Path, resp.StatusCode, resp.Header.Get("X-Incident-Id"), body)
}
