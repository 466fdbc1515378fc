# lockdown.mk: what a program that uses the lockdown modules links, for
# basic_container/Makefile and tests/unit/Makefile (include it after
# common.mk). libcap and libseccomp are linked statically by name
# (-l:libX.a), also into a program that is otherwise dynamic.
LOCKDOWN_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

LOCKDOWN_OBJS := $(LOCKDOWN_DIR)/capabilities.o $(LOCKDOWN_DIR)/seccomp_filter.o \
	$(LOCKDOWN_DIR)/devices.o
LOCKDOWN_LDLIBS := -l:libseccomp.a -l:libcap.a

$(LOCKDOWN_OBJS): $(LOCKDOWN_DIR)/%.o: $(LOCKDOWN_DIR)/%.c $(LOCKDOWN_DIR)/%.h \
		$(LOCKDOWN_DIR)/../basic_container/setup_error.h $(LOCKDOWN_DIR)/../common/common.h
	$(MAKE) -C $(LOCKDOWN_DIR) $*.o
