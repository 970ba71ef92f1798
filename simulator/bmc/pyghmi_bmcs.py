#!/usr/bin/python3
"""The simulated lab's IPMI BMCs: one RMCP+ (IPMI v2.0 LAN) BMC per IPMI node, each on its own
loopback UDP port, served by python3-pyghmi's ipmi.bmc server (the library VirtualBMC is built
on), in one process for the whole lab. Real `ipmitool -I lanplus` talks to them.

pyghmi does the protocol: the session handshake (RAKP, HMAC-SHA1, AES-CBC-128), the user's
password check, message integrity and sequence numbers. This file only says what the chassis
does: every chassis power and boot-device command is asked of the parent process (the
simulator, simulator/bmc/ipmi.ts), which owns the nodes' power board.

Parent protocol, one JSON object per line:
- stdin, first line: {"bmcs": [{"node", "username", "password"}]} (passwords never touch disk);
- stdout: {"ready": [{"node", "port"}]} once every BMC listens, then one request per chassis
  command, {"id", "node", "op", ...}, each answered on stdin by {"id", "code", ...}: code 0 is
  done, any other is the IPMI completion code the BMC answers with (0xd5: not in present state).
"""
import json
import os
import socket
import sys

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.session as ipmisession

# Boot flags (IPMI v2.0 table 28-14, parameter 5), data byte 1: valid, persistent, EFI.
FLAG_VALID = 0x80
FLAG_PERSISTENT = 0x40
FLAG_EFI = 0x20
# Data byte 2, bits 5-2: the device selector.
DEVICES = {0x1: 'pxe', 0x2: 'disk', 0x0: 'none'}
SELECTORS = {name: selector for selector, name in DEVICES.items()}

_next_id = 0


def ask(node, op, **fields):
    """One chassis request to the simulator; blocks until it answers (it answers at once)."""
    global _next_id
    _next_id += 1
    sys.stdout.write(json.dumps({'id': _next_id, 'node': node, 'op': op, **fields}) + '\n')
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        os._exit(0)  # the simulator is gone, so is the lab (sys.exit would end only pyghmi's thread)
    answer = json.loads(line)
    if answer.get('id') != _next_id:
        raise RuntimeError(f'answer {answer.get("id")} to request {_next_id}')
    return answer


def free_port():
    """A free loopback UDP port. pyghmi must be given a real port number: bound to port 0, its
    sessions never answer RAKP 1."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class NodeBmc(bmc.Bmc):
    def __init__(self, node, username, password):
        super().__init__({username: password}, port=free_port(), address='127.0.0.1')
        self.node = node

    def _chassis(self, op):
        code = ask(self.node, op)['code']
        return code or None

    def get_power_state(self):
        return ask(self.node, 'status')['power']

    def power_on(self):
        return self._chassis('on')

    def power_off(self):
        return self._chassis('off')

    def power_shutdown(self):
        return self._chassis('soft')

    def power_cycle(self):
        return self._chassis('cycle')

    def power_reset(self):
        return self._chassis('reset')

    def pulse_diag(self):
        return self._chassis('diag')

    def cold_reset(self):
        return 0  # the BMC restarting changes nothing the lab can see

    # pyghmi's own boot-option handlers keep the device only; a BMC also keeps whether the
    # override is for the next boot or every boot, and the BIOS/EFI choice.
    def set_system_boot_options(self, request, session):
        data = request['data']
        if data[0] & 0x7f != 5:
            # Set-in-progress, service partition, boot info acknowledge: accepted, as most BMCs do.
            return session.send_ipmi_response()
        if len(data) < 3:
            return session.send_ipmi_response(code=0xc7)  # request data length invalid
        selector = (data[2] >> 2) & 0xf
        if selector not in DEVICES:
            return session.send_ipmi_response(code=0xcc)  # invalid data field
        valid = bool(data[1] & FLAG_VALID)
        answer = ask(
            self.node,
            'bootdev',
            device=DEVICES[selector] if valid else 'none',
            persistent=bool(data[1] & FLAG_PERSISTENT),
            efi=bool(data[1] & FLAG_EFI),
        )
        session.send_ipmi_response(code=answer['code'])

    def get_system_boot_options(self, request, session):
        if request['data'][0] & 0x7f != 5:
            return session.send_ipmi_response(code=0x80)  # parameter not supported
        boot = ask(self.node, 'bootdev-get')
        flags = 0
        if boot['device'] != 'none':
            flags = FLAG_VALID | (FLAG_PERSISTENT if boot['persistent'] else 0)
        session.send_ipmi_response(data=[1, 5, flags, SELECTORS[boot['device']] << 2, 0, 0, 0])


def main():
    config = json.loads(sys.stdin.readline())
    bmcs = [NodeBmc(entry['node'], entry['username'], entry['password']) for entry in config['bmcs']]
    ready = [{'node': one.node, 'port': one.serversocket.getsockname()[1]} for one in bmcs]
    sys.stdout.write(json.dumps({'ready': ready}) + '\n')
    sys.stdout.flush()
    parent = os.getppid()
    while True:
        ipmisession.Session.wait_for_rsp(timeout=1)
        # A simulator killed outright (SIGKILL) leaves no one to end this process: go with it.
        if os.getppid() != parent:
            os._exit(0)


if __name__ == '__main__':
    main()
