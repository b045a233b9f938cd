//! `tcp-bench profile`: an exact instruction profile of the guest kernel from QEMU's TCG
//! log (`-d exec,nochain,in_asm`, optionally restricted with `-dfilter START..END`).
//!
//! `in_asm` lists each translated block's instructions once (`IN:` then one `0xADDR: ...`
//! line per instruction), `exec` logs every execution of a block (`Trace N: HOST
//! [FLAGS/PC/...]`). The instructions of each block times its executions, attributed to
//! the `System.map` symbol that contains the block and divided by the number of
//! operations the workload made, is each function's cost per operation.

use std::collections::HashMap;
use std::io::BufRead;

/// Text symbols of a `System.map`, sorted by address.
pub fn read_symbols(map: impl BufRead) -> Result<Vec<(u64, String)>, String> {
    let mut syms = Vec::new();
    for line in map.lines() {
        let line = line.map_err(|e| format!("System.map: {e}"))?;
        let mut f = line.split_whitespace();
        let (Some(addr), Some(kind), Some(name)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if !matches!(kind, "t" | "T" | "w" | "W") {
            continue;
        }
        if let Ok(addr) = u64::from_str_radix(addr, 16) {
            syms.push((addr, name.to_owned()));
        }
    }
    syms.sort();
    Ok(syms)
}

/// Instructions executed per symbol, from a TCG log.
pub fn profile(log: impl BufRead, syms: &[(u64, String)]) -> Result<Vec<(String, u64)>, String> {
    let mut block_len: HashMap<u64, u64> = HashMap::new();
    let mut runs: HashMap<u64, u64> = HashMap::new();
    let mut in_block: Option<(u64, u64)> = None;
    for line in log.split(b'\n') {
        let line = line.map_err(|e| format!("log: {e}"))?;
        let line = String::from_utf8_lossy(&line);
        if line.starts_with("IN:") {
            in_block = Some((0, 0));
            continue;
        }
        if let Some((start, n)) = in_block.as_mut() {
            if let Some(addr) = line
                .strip_prefix("0x")
                .and_then(|r| r.split(':').next())
                .and_then(|a| u64::from_str_radix(a, 16).ok())
            {
                if *n == 0 {
                    *start = addr;
                }
                *n += 1;
                continue;
            }
            if line.trim().is_empty() {
                if *n > 0 {
                    block_len.insert(*start, *n);
                }
                in_block = None;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("Trace ") {
            // `Trace 0: 0x7f... [00000000/ffffffff81206ae2/10c0c2b0/ff000200]`
            let pc = rest
                .split('[')
                .nth(1)
                .and_then(|f| f.split('/').nth(1))
                .and_then(|pc| u64::from_str_radix(pc, 16).ok());
            if let Some(pc) = pc {
                *runs.entry(pc).or_default() += 1;
            }
        }
    }
    let mut per: HashMap<String, u64> = HashMap::new();
    for (pc, n) in runs {
        let i = syms.partition_point(|(a, _)| *a <= pc);
        let name = i
            .checked_sub(1)
            .and_then(|i| syms.get(i))
            .map_or("?", |(_, n)| n.as_str());
        *per.entry(name.to_owned()).or_default() += n * block_len.get(&pc).copied().unwrap_or(1);
    }
    let mut out: Vec<(String, u64)> = per.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        reason = "test code; a panic fails the test"
    )]
    use super::*;

    #[test]
    fn counts_blocks_times_runs_per_symbol() {
        let map = "ffffffff81000000 T alpha\nffffffff81000100 t beta\nffffffff81000200 D data\n";
        let syms = read_symbols(map.as_bytes()).unwrap();
        assert_eq!(syms.len(), 2);
        let log = "----------------\nIN: \n\
            0xffffffff81000010:  f3 0f 1e fa   endbr64\n\
            0xffffffff81000014:  53            pushq %rbx\n\
            \n\
            Trace 0: 0x7f00 [00000000/ffffffff81000010/0/0] \n\
            Trace 0: 0x7f00 [00000000/ffffffff81000010/0/0] \n\
            ----------------\nIN: \n\
            0xffffffff81000120:  c3            retq\n\
            \n\
            Trace 0: 0x7f08 [00000000/ffffffff81000120/0/0] \n";
        let p = profile(log.as_bytes(), &syms).unwrap();
        assert_eq!(p, vec![("alpha".to_owned(), 4), ("beta".to_owned(), 1)]);
    }
}
