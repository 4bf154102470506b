int cwirefixtures_placeholder(void);
