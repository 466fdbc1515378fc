# common.mk: compiler flags and the shared object, included by every Makefile
# that builds C (`include ../common/common.mk`), from any depth.
# CI sets CI=true, which turns warnings into errors.
COMMON_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.DEFAULT_GOAL := all
CC = gcc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 $(if $(CI),-Werror)
CPPFLAGS += -I$(COMMON_DIR)

COMMON_OBJ := $(COMMON_DIR)/common.o

$(COMMON_OBJ): $(COMMON_DIR)/common.c $(COMMON_DIR)/common.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bin:
	mkdir -p bin

%.o: %.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
