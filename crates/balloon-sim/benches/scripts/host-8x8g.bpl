# 8 VMs x 8 GiB on one host, each inflating to half (cargo xtask bench: host_8x8g_*)
host ram 72G
host own 2G
-name v0 -m 8G -device virtio-balloon
-name v1 -m 8G -device virtio-balloon
-name v2 -m 8G -device virtio-balloon
-name v3 -m 8G -device virtio-balloon
-name v4 -m 8G -device virtio-balloon
-name v5 -m 8G -device virtio-balloon
-name v6 -m 8G -device virtio-balloon
-name v7 -m 8G -device virtio-balloon
@v0 balloon 4096
@v1 balloon 4096
@v2 balloon 4096
@v3 balloon 4096
@v4 balloon 4096
@v5 balloon 4096
@v6 balloon 4096
@v7 balloon 4096
run
