.4byte b_cfg
