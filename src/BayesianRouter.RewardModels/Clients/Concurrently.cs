namespace BayesianRouter.RewardModels.Clients;

/// <summary>Runs one task per item at once; the first failure cancels the others and is the one thrown.</summary>
internal static class Concurrently
{
    public static async Task<T[]> AllAsync<TItem, T>(IReadOnlyList<TItem> items, Func<TItem, CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        if (items.Count == 1) return [await run(items[0], cancellationToken).ConfigureAwait(false)];
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? first = null;
        async Task<T> Guarded(TItem item)
        {
            try
            {
                return await run(item, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cts.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref first, e, null);
                cts.Cancel();
                throw;
            }
        }
        var tasks = items.Select(Guarded).ToArray();
        try
        {
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (first is not null && !cancellationToken.IsCancellationRequested)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw; // unreachable
        }
    }
}
