namespace BayesianRouter.Service;

/// <summary>
/// Names (pair ids, idempotency keys) that one request at a time may work on. A request claims all of its names at
/// once or none: when another request holds one of them, it waits until that request has finished and tries again
/// (never holding some names while waiting for others, so two requests cannot wait for each other). This is what
/// keeps a pair id from being decided twice when a client retries a request that is still being answered.
/// </summary>
internal sealed class InFlightClaims
{
    private readonly Dictionary<string, TaskCompletionSource> _held = new(StringComparer.Ordinal);

    /// <summary>Claims every name of <paramref name="names"/> (distinct); dispose the result to release them.</summary>
    public async Task<IDisposable> AcquireAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task[] busy;
            lock (_held)
            {
                busy = names.Where(_held.ContainsKey).Select(n => (Task)_held[n].Task).Distinct().ToArray();
                if (busy.Length == 0)
                {
                    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    foreach (var n in names) _held[n] = done;
                    return new Claim(this, names.ToArray(), done);
                }
            }
            await Task.WhenAll(busy).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Names held now (for tests and metrics).</summary>
    public int Count
    {
        get { lock (_held) return _held.Count; }
    }

    private sealed class Claim(InFlightClaims owner, string[] names, TaskCompletionSource done) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            lock (owner._held)
                foreach (var n in names) owner._held.Remove(n);
            done.TrySetResult();
        }
    }
}
