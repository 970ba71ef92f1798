/** The release rules of lab/release.ts, as the release notes give them. */
import { describe, expect, it } from '@jest/globals';
import {
  apiFeatures,
  defaultNetworkType,
  installableNetworkTypes,
  kubernetesMinor,
  liveKernelSuffix,
  networkTypeProblem,
} from '../../lab/release.js';
import { regexp } from '../support/regexp.js';

describe('release rules', () => {
  it('knows the Kubernetes minor each release ships', () => {
    expect(
      ['4.1.0', '4.2.0', '4.3.0', '4.6.1', '4.12.0', '4.16.0', '4.20.0', '4.21.0'].map((v) => kubernetesMinor(v)),
    ).toEqual([13, 14, 16, 19, 25, 29, 33, 34]);
  });

  it('installs OpenShift SDN up to 4.14 only, and defaults to OVN-Kubernetes from 4.12', () => {
    expect(installableNetworkTypes('4.14.5')).toEqual(['OpenShiftSDN', 'OVNKubernetes']);
    expect(installableNetworkTypes('4.15.0')).toEqual(['OVNKubernetes']);
    expect([defaultNetworkType('4.11.0'), defaultNetworkType('4.12.0')]).toEqual(['OpenShiftSDN', 'OVNKubernetes']);
    expect(networkTypeProblem('4.14.5', 'OpenShiftSDN')).toBeUndefined();
    expect(networkTypeProblem('4.16.2', 'OpenShiftSDN')).toMatch(
      regexp(
        /^OpenShiftSDN cannot install OpenShift 4\.16\.2: /,
        /OpenShift SDN is no longer an install-time option from 4\.15; use networkType: OVNKubernetes/,
      ),
    );
    expect(networkTypeProblem('4.21.0', 'OpenShiftSDN')).toContain('OpenShift SDN was removed in 4.17');
    expect(networkTypeProblem('4.21.0', 'OVNKubernetes')).toBeUndefined();
  });

  it('names the live kernel with a dash up to 4.18 and a dot from 4.19', () => {
    expect([liveKernelSuffix('4.18.1', 'x86_64'), liveKernelSuffix('4.19.0', 'x86_64')]).toEqual([
      '-x86_64',
      '.x86_64',
    ]);
  });

  it('lets the runbooks use server-side apply from 4.3 (Kubernetes 1.16)', () => {
    expect([apiFeatures('4.2.0'), apiFeatures('4.3.0'), apiFeatures('4.21.0')]).toEqual([
      { serverSideApply: false },
      { serverSideApply: true },
      { serverSideApply: true },
    ]);
  });
});
