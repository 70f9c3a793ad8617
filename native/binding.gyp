{
  "targets": [
    {
      "target_name": "outpost_native",
      "sources": ["src/listen_reuseport.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
