; Zone nodes.example.com, rendered from lab "intra" by `runbook render`.
; Change the lab file and render again rather than editing this file.
$ORIGIN nodes.example.com.
$TTL 3600
@ IN SOA netserv1.nodes.example.com. hostmaster.nodes.example.com. (
    722006465 ; serial: digest of this file
    3600 ; refresh
    900 ; retry
    1209600 ; expire
    300 ) ; negative caching TTL
@         IN NS  netserv1.nodes.example.com.
@         IN NS  netserv2.nodes.example.com.
bootstrap IN A   10.42.253.9
master1   IN A   10.42.253.10
master2   IN A   10.42.253.11
master3   IN A   10.42.253.12
infra1    IN A   10.42.253.13
infra2    IN A   10.42.253.14
infra3    IN A   10.42.253.15
compute1  IN A   10.42.253.20
compute2  IN A   10.42.253.21
compute3  IN A   10.42.253.22
compute4  IN A   10.42.253.23
compute5  IN A   10.42.253.24
netserv1  IN A   10.42.253.3
netserv2  IN A   10.42.253.5
haproxy1  IN A   10.42.253.150
haproxy2  IN A   10.42.253.151
