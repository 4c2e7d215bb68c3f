# source: github.com/sharewind/push-server scripts/setup_sysctl.sh (read from the code search index, commit not shown)
# read: 2026-12-07
# form: sysctl -w (shell)
sysctl -w net.ipv4.tcp_tw_reuse=1
sysctl -w net.ipv4.tcp_fin_timeout=15
sysctl -w net.ipv4.tcp_rmem="4096 87380 16777216"
sysctl -w net.ipv4.tcp_wmem="4096 65536 16777216"
sysctl -w net.core.netdev_max_backlog=4096
sysctl -w net.core.somaxconn=4096
sysctl -w net.ipv4.tcp_max_syn_backlog=20480
sysctl -w fs.file-max=1048577
sysctl -w fs.file-nr="2944 0 2037581"
