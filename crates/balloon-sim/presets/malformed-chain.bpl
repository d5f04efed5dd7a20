# Malformed guest: PFNs over two descriptors
# Row 6: the PFN array is split over a chain of two descriptors; QEMU parses every out_sg, so all PFNs are ballooned and the chain is acked.
-m 1G -device virtio-balloon -seed 14
run
fault ivq chain
balloon 1020
run
{"execute": "query-balloon"}
