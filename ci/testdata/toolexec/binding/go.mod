module example.com/cgobinding

go 1.24
