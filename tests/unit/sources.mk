# Host unit tests: each test_X.c is one binary; UNIT_SRCS_test_X lists the
# real kernel sources it compiles in.
