# Host unit tests: each test_X.c is one binary; UNIT_SRCS_test_X lists the
# real kernel sources it compiles in.
UNIT_TESTS += test_vsnprintf
UNIT_SRCS_test_vsnprintf := kernel/lib/vsnprintf.c
UNIT_TESTS += test_pmm
UNIT_SRCS_test_pmm := kernel/mm/pmm.c
UNIT_TESTS += test_heap
UNIT_SRCS_test_heap := kernel/mm/heap.c kernel/mm/pmm.c
UNIT_TESTS += test_acpi
UNIT_SRCS_test_acpi := kernel/drivers/acpi.c
