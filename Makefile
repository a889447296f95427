.PHONY: testdata
# eBPF test objects (testdata/*.o, *.v4.o); the rules live in testdata/Makefile.
testdata:
	$(MAKE) -C testdata
