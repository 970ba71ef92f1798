; Zone intra.example.com, rendered from lab "intra" by `runbook render`.
; Change the lab file and render again rather than editing this file.
$ORIGIN intra.example.com.
$TTL 3600
@ IN SOA netserv1.nodes.example.com. hostmaster.intra.example.com. (
    747686718 ; serial: digest of this file
    3600 ; refresh
    900 ; retry
    1209600 ; expire
    300 ) ; negative caching TTL
@                     IN NS  netserv1.nodes.example.com.
@                     IN NS  netserv2.nodes.example.com.
api                   IN A   10.42.253.150
api                   IN A   10.42.253.151
api-int               IN A   10.42.253.150
api-int               IN A   10.42.253.151
*.apps                IN A   10.42.253.150
*.apps                IN A   10.42.253.151
etcd-0                IN A   10.42.253.10
etcd-1                IN A   10.42.253.11
etcd-2                IN A   10.42.253.12
_etcd-server-ssl._tcp 86400 IN SRV 0 10 2380 etcd-0.intra.example.com.
_etcd-server-ssl._tcp 86400 IN SRV 0 10 2380 etcd-1.intra.example.com.
_etcd-server-ssl._tcp 86400 IN SRV 0 10 2380 etcd-2.intra.example.com.
