int cwirefixtures_placeholder(void) { return 0; }
