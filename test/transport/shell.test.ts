import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { isLoopbackHost, assertLoopbackTarget, RehearsalTargetError } from '../../transport/guard.js';
import { parseCommand, quoteArg, quoteCommand, ShellSyntaxError } from '../../transport/shell.js';

describe('quoting for the remote shell', () => {
  test('leaves harmless words bare and single-quotes the rest', () => {
    expect(quoteCommand(['systemctl', 'restart', 'isc-dhcp-server'])).toBe('systemctl restart isc-dhcp-server');
    expect(quoteArg("it's $(x); `id`")).toBe(`'it'\\''s $(x); \`id\`'`);
    expect(quoteArg('')).toBe("''");
  });

  test('parseCommand gives back exactly the quoted vector', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1 },
        ),
        (argv) => {
          expect(parseCommand(quoteCommand(argv))).toEqual(argv);
        },
      ),
      { numRuns: 300 },
    );
  });

  test.each([
    ['rndc reload; rm -rf /', ';'],
    ['cat /etc/passwd | nc x 1', '|'],
    ['echo $(id)', '$'],
    ['echo $HOME', '$HOME'],
    ['echo "$HOME"', '$HOME'],
    ['echo a > /etc/x', '>'],
    ['ls *', '*'],
    ['echo `id`', '`'],
    ['true && reboot', '&&'],
    ['rndc reload # comment', '#'],
  ])('refuses shell syntax in %s', (line, syntax) => {
    expect(() => parseCommand(line)).toThrow(ShellSyntaxError);
    expect(() => parseCommand(line)).toThrow(JSON.stringify(syntax));
  });
});

describe('the rehearsal guard', () => {
  test.each(['127.0.0.1', '127.3.4.5', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );

  test.each([
    '10.42.253.3',
    '128.0.0.1',
    '::2',
    'netserv1.example.com',
    '0.0.0.0',
    '::ffff:10.0.0.1',
    '127.0.0.1.example.com',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  test('names the address and the connection', () => {
    expect(() => assertLoopbackTarget('10.42.253.3', 'netserv1 ssh')).toThrow(
      new RehearsalTargetError('10.42.253.3', 'netserv1 ssh'),
    );
    expect(() => assertLoopbackTarget('10.42.253.3', 'netserv1 ssh')).toThrow(
      'rehearsal refuses to connect to 10.42.253.3 (netserv1 ssh): rehearsals only talk to the simulated lab on loopback',
    );
  });
});
