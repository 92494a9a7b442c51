using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace BayesianRouter.Encoding;

/// <summary>
/// Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/> (WordPiece) with the text cleaning and splitting of
/// Hugging Face's BERT tokenizer, the one these models were trained with. Microsoft.ML.Tokenizers 2.0.1's own
/// basic tokenization differs where math text lives: its pre-tokenizer (<c>\w+|\p{P}</c>) silently drops every
/// symbol character (<c>$ ^ = + &lt; &gt; | ~</c>, Unicode category S) and keeps <c>_</c> inside words, and its
/// normalizer deletes newlines and tabs instead of treating them as spaces ("a\nb" becomes "ab").
/// Hugging Face: control characters removed, any whitespace a space, CJK characters split, accents stripped
/// and text lower-cased (uncased models), then split on whitespace and around every punctuation character
/// (ASCII punctuation, which includes those symbols, and Unicode category P).
/// </summary>
public static class HfBertTokenizer
{
    private const string AsciiPunctuation = @"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E";

    /// <summary>One punctuation character, or a run of anything else that is not whitespace.</summary>
    private static readonly Regex WordOrPunctuation = new(
        $@"[{AsciiPunctuation}]|\p{{P}}|[^\s{AsciiPunctuation}\p{{P}}]+", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Creates the tokenizer from a vocab.txt stream (one token per line; the line number is the id).</summary>
    public static BertTokenizer Create(Stream vocab, bool lowerCase)
    {
        using var buffer = new MemoryStream();
        vocab.CopyTo(buffer);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        buffer.Position = 0;
        using (var reader = new StreamReader(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            int line = 0;
            for (string? token; (token = reader.ReadLine()) != null; line++)
                if (SpecialTokens.Contains(token)) ids.TryAdd(token, line);
        }
        var missing = SpecialTokens.Where(t => !ids.ContainsKey(t)).ToArray();
        if (missing.Length > 0) throw new InvalidDataException($"vocab: special tokens missing: {string.Join(", ", missing)}");

        // The pre-tokenizer sees normalized (lower-cased) text, so it must know the special tokens as they look then.
        var splitOn = ids.ToDictionary(kv => lowerCase ? kv.Key.ToLowerInvariant() : kv.Key, kv => kv.Value);
        buffer.Position = 0;
        return BertTokenizer.Create(buffer, new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            RemoveNonSpacingMarks = lowerCase,
            Normalizer = new HfBertNormalizer(lowerCase, stripAccents: lowerCase),
            PreTokenizer = new RegexPreTokenizer(WordOrPunctuation, splitOn),
        });
    }

    /// <summary>Hugging Face's BertNormalizer: clean text, pad CJK characters, strip accents, lower-case.</summary>
    internal sealed class HfBertNormalizer(bool lowerCase, bool stripAccents) : Normalizer
    {
        public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

        public override string Normalize(string original)
        {
            var sb = new StringBuilder(original.Length + 8);
            for (int i = 0; i < original.Length; i++)
            {
                int cp = CodePointAt(original, i, out int width);
                var category = CharUnicodeInfo.GetUnicodeCategory(original, i);
                if (cp == 0 || cp == 0xFFFD || IsControl(cp, category))
                {
                }
                else if (IsWhitespace(cp, category))
                {
                    sb.Append(' ');
                }
                else if (IsCjk(cp))
                {
                    sb.Append(' ').Append(original, i, width).Append(' ');
                }
                else
                {
                    sb.Append(original, i, width);
                }
                i += width - 1;
            }
            var text = sb.ToString();
            if (stripAccents)
            {
                var decomposed = text.Normalize(NormalizationForm.FormD);
                var kept = new StringBuilder(decomposed.Length);
                foreach (var c in decomposed)
                    if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) kept.Append(c);
                text = kept.ToString();
            }
            return lowerCase ? text.ToLowerInvariant() : text;
        }

        /// <summary>The code point at <paramref name="i"/>: a surrogate pair is one (width 2), a lone surrogate itself.</summary>
        private static int CodePointAt(string s, int i, out int width)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                width = 2;
                return char.ConvertToUtf32(s[i], s[i + 1]);
            }
            width = 1;
            return s[i];
        }

        private static bool IsWhitespace(int cp, UnicodeCategory category) =>
            cp is '\t' or '\n' or '\r' or ' ' || category == UnicodeCategory.SpaceSeparator
            || (cp <= 0xFFFF && char.IsWhiteSpace((char)cp));

        /// <summary>Other-category characters (control, format, surrogate, private use, unassigned), except tab and newlines.</summary>
        private static bool IsControl(int cp, UnicodeCategory category) =>
            cp is not ('\t' or '\n' or '\r') && category is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

        private static bool IsCjk(int cp) =>
            cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
                or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
    }
}
