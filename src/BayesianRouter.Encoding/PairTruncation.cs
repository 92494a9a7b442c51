namespace BayesianRouter.Encoding;

/// <summary>
/// Builds one encoder sequence from the token ids of a prompt and a response: [CLS] prompt response [SEP], at most
/// <c>maxTokens</c> long (paper section 3.2: e = Enc(x || y)). When too long, the prompt is cut first (by default
/// from the left, keeping its end next to the response); a response that alone exceeds the budget keeps its
/// beginning and the prompt is dropped.
/// </summary>
public static class PairTruncation
{
    public static int[] Build(
        IReadOnlyList<int> prompt, IReadOnlyList<int> response, int maxTokens, PromptTruncation cut, int clsId, int sepId)
    {
        if (maxTokens < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "needs room for [CLS], one token and [SEP]");
        int budget = maxTokens - 2;
        int keepResponse = Math.Min(response.Count, budget);
        int keepPrompt = Math.Min(prompt.Count, budget - keepResponse);
        int promptStart = cut == PromptTruncation.Left ? prompt.Count - keepPrompt : 0;

        var ids = new int[keepPrompt + keepResponse + 2];
        int k = 0;
        ids[k++] = clsId;
        for (int i = 0; i < keepPrompt; i++) ids[k++] = prompt[promptStart + i];
        for (int i = 0; i < keepResponse; i++) ids[k++] = response[i];
        ids[k] = sepId;
        return ids;
    }
}
