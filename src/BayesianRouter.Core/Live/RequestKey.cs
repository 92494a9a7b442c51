namespace BayesianRouter.Live;

/// <summary>
/// The idempotency key of a service request (the client's <c>Idempotency-Key</c> header), logged in the same durable
/// write as the decisions or the feedback batch that the request made, so that a retry of the request after a lost
/// answer or a crash is recognised: the endpoint it was sent to, and a digest of its content (a retry must send the
/// same content under the same key).
/// </summary>
/// <param name="Key">The client's key (1 to 255 visible ASCII characters).</param>
/// <param name="Endpoint">The endpoint, e.g. <c>/v1/label</c>.</param>
/// <param name="Digest">A digest of the request's content, as the service computes it.</param>
public sealed record RequestKey(string Key, string Endpoint, string Digest);
