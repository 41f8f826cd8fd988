"""MobileNet v2 and v3 on one conv-defs engine (TF-Slim's `nets.mobilenet` package)."""
