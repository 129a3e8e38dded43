// @vitest-environment happy-dom
/** Parts of the popup that load on first use (src/popup/lazy.tsx): whenever the code arrives, the part appears. */
import { h, render, type ComponentType } from 'preact';
import { describe, expect, it } from 'vitest';
import { lazy } from '../../src/popup/lazy';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lazy parts', () => {
  it('a part whose code arrives between its first render and its effect (a preload finishing) still appears', async () => {
    let arrive!: (component: ComponentType<object>) => void;
    const Part = lazy<object>(() => new Promise((resolve) => (arrive = resolve)));
    Part.preload();
    const root = document.createElement('div');
    render(h(Part, {}), root);
    expect(root.textContent).toBe('Loading…');
    // The preload lands before Preact runs the part's effect (after the next paint).
    arrive(() => h('form', null, 'Add a note'));
    await settle(0);
    await expect.poll(() => root.textContent, { timeout: 2_000 }).toBe('Add a note');
  });

  it('a part loaded before it is rendered appears at once; one whose code arrives later appears then', async () => {
    const Ready = lazy<object>(async () => () => h('p', null, 'ready'));
    Ready.preload();
    await settle(0);
    const root = document.createElement('div');
    render(h(Ready, {}), root);
    expect(root.textContent).toBe('ready');
    let arrive!: (component: ComponentType<object>) => void;
    const Later = lazy<object>(() => new Promise((resolve) => (arrive = resolve)));
    render(h(Later, {}), root);
    await settle(300);
    arrive(() => h('p', null, 'later'));
    await expect.poll(() => root.textContent, { timeout: 2_000 }).toBe('later');
  });
});
