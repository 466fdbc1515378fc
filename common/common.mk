# common.mk: compiler flags and the shared object, included by every step's Makefile.
# CI sets CI=true, which turns warnings into errors.
.DEFAULT_GOAL := all
CC = gcc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 $(if $(CI),-Werror)
CPPFLAGS += -I../common

COMMON_OBJ := ../common/common.o

../common/common.o: ../common/common.c ../common/common.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bin:
	mkdir -p bin

%.o: %.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
