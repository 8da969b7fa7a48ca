import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './client';

const answer = (status: number, body: unknown) =>
  vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status }));

describe('ApiClient', () => {
  it('sends the bearer token and JSON, and returns the parsed body', async () => {
    const fetchImpl = answer(200, { id: 'w1' });
    const client = new ApiClient({ token: 'secret', fetchImpl });
    await expect(client.createWorkflow({ name: 'x' })).resolves.toEqual({ id: 'w1' });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/workflows');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['Authorization']).toBe('Bearer secret');
    expect(init.body).toBe('{"name":"x"}');
  });

  it('turns the error body into an ApiError and tells the app about a 401', async () => {
    const onUnauthorized = vi.fn();
    const client = new ApiClient({
      token: 'bad',
      fetchImpl: answer(401, { error: { code: 'unauthorized', message: 'unknown token', details: {} } }),
      onUnauthorized,
    });
    const error = await client.nodes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized', message: 'unknown token' });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('exposes the problems of a 422 invalid_spec', async () => {
    const problems = [{ loc: 'nodes[a].config.url', message: 'Field required' }];
    const client = new ApiClient({
      token: 't',
      fetchImpl: answer(422, { error: { code: 'invalid_spec', message: 'bad', details: { problems } } }),
    });
    const error = (await client.saveVersion('w', { spec: { name: 'w', nodes: [], edges: [] } }).catch((e: unknown) => e)) as ApiError;
    expect(error.problems).toEqual(problems);
  });

  it('reports an unreachable server plainly', async () => {
    const client = new ApiClient({ token: 't', fetchImpl: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) });
    await expect(client.nodes()).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});
