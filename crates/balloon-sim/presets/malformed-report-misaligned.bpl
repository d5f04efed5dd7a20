# Malformed guest: a misaligned free page report
# Row 18: the first reported range starts 2 KiB into its block; QEMU skips ranges not aligned to the host page size, discards the others and acks the report.
-m 1G -device virtio-balloon,free-page-reporting=on,page-poison=off -seed 26
run 1s
fault reporting_vq misaligned
run 3s
{"execute": "query-balloon"}
