# source: github.com/FelikZ/dotfiles sockets.sh (read from the code search index, commit not shown)
# read: 2026-12-07
# form: sysctl -w (shell)
sysctl -w net.ipv4.tcp_keepalive_time=600
sysctl -w net.ipv4.tcp_tw_reuse=1
# sysctl -w net.ipv4.tcp_tw_recycle=1
sysctl -w "net.ipv4.ip_local_port_range=1025 61000"
