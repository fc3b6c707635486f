/** inet_ntop(3) for IPv6 (RFC 5952: the longest run of zero words becomes ::), with the ::ffff:a.b.c.d form. */
export function ipv6Text(b: Buffer): string {
  const words = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  // longest run of zero words (length >= 2) becomes "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
