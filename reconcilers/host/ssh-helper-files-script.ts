/**
 * The remote helper's file operations for a host with a sandbox root (Perl, added to `%ops` of
 * ssh-helper-script.ts, which resolves paths with `walk`). Each resolves its path inside ROOT and acts on what the
 * walk ended in (the parent folder's descriptor and the entry's name, `/proc/self/fd/N/NAME`), never on a path
 * looked up again. An entry that turned into a symlink between the walk and the act (an O_NOFOLLOW open fails) is
 * walked again, up to five times. File content crosses the framing as base64, at most MAX_HELPER_FILE_BYTES.
 *
 * Ops (ROOT is the real sandbox root; paths are host paths, absolute and normalized; flags are `1`/`0`):
 * - `read ROOT PATH` → the bytes: the entry opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK (a folder: EISDIR).
 * - `stat ROOT PATH FOLLOW` → a stat line (`M`: missing): lstat of the entry, following a final symlink when
 *   FOLLOW (the walk does), refusing one swapped in since.
 * - `readdir ROOT PATH` → names separated by NUL: the folder opened O_DIRECTORY|O_NOFOLLOW, listed through it.
 * - `mkdir ROOT PATH MODE RECURSIVE`: mkdir through the parent; RECURSIVE makes each missing folder top down.
 * - `chmod ROOT PATH MODE`: the entry pinned with O_PATH|O_NOFOLLOW (a symlink there now: walked again),
 *   chmod through `/proc/self/fd/N`. `chown ROOT PATH UID GID`: lchown of the entry in its parent.
 * - `link ROOT FROM TO`, `rename ROOT FROM TO`: from parent descriptor to parent descriptor.
 * - `unlink ROOT PATH`, `rmdir ROOT PATH`: through the parent; gone is OK.
 * - `mountpoint ROOT PATH` → `1`/`0`: the folder opened O_NOFOLLOW, compared with its parent descriptor (device,
 *   inode), else looked up in /proc/self/mountinfo by the descriptor's real path.
 * - `write ROOT PATH DATA EXPECT MODE UID GID FSYNC KEEPMODE`: atomic replacement in the parent folder held open.
 *   EXPECT: empty (any), `-` (only if absent), or the sha256 (hex) of the bytes the file must have now, read
 *   through an O_NOFOLLOW handle in that folder (ECONFLICT otherwise; a symlink there is never followed). A temp
 *   file `NAME.tmp.PID.RANDOM` is created O_CREAT|O_EXCL|O_NOFOLLOW in the folder (0600, or 0666 under the umask
 *   with KEEPMODE), written, fchown'd and fchmod'ed (MODE/UID/GID, empty: the current file's, else 0644 and the
 *   writer's), fsync'd, renamed over NAME within the folder, and the folder fsync'd (FSYNC: once per batch, before
 *   any answer of the batch is written); the temp file is
 *   removed on any failure. Answers the stat line of the file written, taken through its handle after the rename.
 * - `write-locked ROOT LOCK PATH DATA EXPECT` → `written STATLINE` or `busy`: `write` (KEEPMODE, FSYNC, under umask 027, so
 *   0640 like pct's own writes) while holding flock(2) on the lock file LOCK (made, with its folders, if missing),
 *   the lock `pct` takes for a CT's config. The lock is only tried (LOCK_NB): when it is taken the answer is
 *   `busy` at once, so one locked config never holds up the helper's other requests (the caller then waits for
 *   the lock in a process of its own).
 */

/** The largest file the helper reads or writes (configs are at most 1 MiB; the framing carries it as base64). */
export const MAX_HELPER_FILE_BYTES = 8 * 1024 * 1024;

export const HELPER_FILE_OPS = String.raw`
my $MAXBYTES = ${MAX_HELPER_FILE_BYTES};
my $O_PATH = { alpha => 040000000, parisc => 020000000, parisc64 => 020000000, sparc => 0x1000000, sparc64 => 0x1000000 }->{(POSIX::uname())[4]} // 010000000;
sub isdir { return ($_[0] & 0170000) == 0040000; }
sub islink { return ($_[0] & 0170000) == 0120000; }
sub epath { return $_[0]->{path} // $_[0]->{root}; }
sub too_big { die ['EFBIG', "the file is larger than $MAXBYTES bytes, the most the remote helper reads or writes"]; }
sub raced { die ['RACED', 'the entry turned into a symlink while resolving']; }
sub in_root {
  my ($root, $path, $follow, $act) = @_;
  for my $try (1 .. 5) {
    my $e = walk($root, $path, $follow);
    my $out = eval { $act->($e) };
    return $out unless $@;
    die $@ unless ref $@ eq 'ARRAY' && $@->[0] eq 'RACED';
  }
  $! = Errno::ELOOP(); fail('the entry kept turning into a symlink');
}
sub open_at {
  my ($e, $flags, $what) = @_;
  my $nf = defined $e->{parent} ? O_NOFOLLOW : 0;
  my $fh;
  return $fh if sysopen($fh, epath($e), $flags | $nf);
  my $errno = $! + 0;
  raced() if $nf && ($!{ELOOP} || ($!{ENOTDIR} && -l epath($e)));
  $! = $errno; fail($what);
}
sub slurp {
  my ($fh) = @_;
  my $data = '';
  while (1) {
    my $n = sysread($fh, $data, 1 << 20, length $data) // fail('read');
    last if $n == 0;
    too_big() if length($data) > $MAXBYTES;
  }
  return $data;
}
sub make_dir {
  my ($root, $path, $mode) = @_;
  my $e = walk($root, $path, 0);
  die ['EEXIST', 'the host root exists'] unless defined $e->{parent};
  mkdir($e->{path}, $mode) or fail('mkdir');
}
sub stat_in {
  my ($root, $path, $follow) = @_;
  return in_root($root, $path, $follow, sub {
    my ($e) = @_;
    my @s = defined $e->{parent} ? Time::HiRes::lstat($e->{path}) : Time::HiRes::stat($e->{root});
    if (!@s) { return 'M' if $!{ENOENT}; fail('lstat'); }
    raced() if $follow && islink($s[2]);
    return statline(@s);
  });
}
sub two_entries {
  my ($root, $from, $to) = @_;
  my ($x, $y) = (walk($root, $from, 0), walk($root, $to, 0));
  die ['EBUSY', 'the host root itself'] unless defined $x->{parent} && defined $y->{parent};
  return ($x, $y);
}
sub random_hex { open(my $u, '<:raw', '/dev/urandom') or fail('/dev/urandom'); read($u, my $b, 6) == 6 or fail('/dev/urandom'); return unpack('H*', $b); }
sub current_file {
  my ($e) = @_;
  my @l = lstat($e->{path});
  if (!@l) { return {} if $!{ENOENT}; fail('the current file'); }
  return { link => 1 } if islink($l[2]);
  if (isdir($l[2])) { $! = Errno::EISDIR(); fail('the target'); }
  return { st => \@l } unless ($l[2] & 0170000) == 0100000;
  my $fh;
  sysopen($fh, $e->{path}, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) or fail('the current file');
  my @s = stat($fh) or fail('fstat');
  die ['ECONFLICT', 'the file changed while it was being replaced'] if $s[0] != $l[0] || $s[1] != $l[1];
  binmode $fh;
  return { fh => $fh, st => \@s };
}
$ops{read} = sub {
  my ($root, $path) = @_;
  return in_root($root, $path, 1, sub {
    my $fh = open_at($_[0], O_RDONLY | O_NONBLOCK, 'open');
    my @s = stat($fh) or fail('fstat');
    if (isdir($s[2])) { $! = Errno::EISDIR(); fail('read'); }
    too_big() if $s[7] > $MAXBYTES;
    return slurp($fh);
  });
};
$ops{stat} = sub { my ($root, $path, $follow) = @_; return stat_in($root, $path, $follow eq '1'); };
$ops{readdir} = sub {
  my ($root, $path) = @_;
  return in_root($root, $path, 1, sub {
    my $h = open_at($_[0], $ROOTDIR, 'open the folder');
    opendir(my $d, fdp($h)) or fail('opendir');
    my @names = grep { $_ ne '.' && $_ ne '..' } readdir($d);
    closedir($d);
    return join("\0", @names);
  });
};
$ops{mkdir} = sub {
  my ($root, $path, $mode, $recursive) = @_;
  if ($recursive ne '1') { make_dir($root, $path, oct $mode); return ''; }
  my @segs = segs($path);
  for my $i (1 .. @segs) {
    my $prefix = '/' . join('/', @segs[0 .. $i - 1]);
    my $st = stat_in($root, $prefix, 1);
    if ($st eq 'M') {
      next if eval { make_dir($root, $prefix, oct $mode); 1 };
      die $@ unless ref $@ eq 'ARRAY' && $@->[0] eq 'EEXIST';
      $st = stat_in($root, $prefix, 1);
    }
    next if $st ne 'M' && isdir(hex((split / /, $st)[0]));
    die [$i == @segs ? 'EEXIST' : 'ENOTDIR', "$prefix is not a folder"];
  }
  return '';
};
$ops{chmod} = sub {
  my ($root, $path, $mode) = @_;
  return in_root($root, $path, 1, sub {
    my ($e) = @_;
    if (!defined $e->{parent}) { chmod(oct $mode, $e->{root}) or fail('chmod'); return ''; }
    my $fh = open_at($e, $O_PATH, 'open');
    my @s = stat($fh) or fail('fstat');
    raced() if islink($s[2]);
    chmod(oct $mode, fdp($fh)) or fail('chmod');
    return '';
  });
};
$ops{chown} = sub {
  my ($root, $path, $uid, $gid) = @_;
  my $e = walk($root, $path, 0);
  POSIX::lchown($uid, $gid, epath($e)) or fail('lchown');
  return '';
};
$ops{link} = sub {
  my ($from, $to) = two_entries(@_);
  link($from->{path}, $to->{path}) or fail('link');
  return '';
};
$ops{rename} = sub {
  my ($from, $to) = two_entries(@_);
  return '' if rename($from->{path}, $to->{path});
  if ($!{EEXIST}) { $! = Errno::ENOTEMPTY(); }
  fail('rename');
};
$ops{unlink} = sub {
  my ($root, $path) = @_;
  my $e = walk($root, $path, 0);
  if (!defined $e->{parent}) { $! = Errno::EISDIR(); fail('unlink'); }
  unlink($e->{path}) or $!{ENOENT} or fail('unlink');
  return '';
};
$ops{rmdir} = sub {
  my ($root, $path) = @_;
  my $e = walk($root, $path, 0);
  die ['EBUSY', 'cannot remove the host root'] unless defined $e->{parent};
  return '' if rmdir($e->{path}) || $!{ENOENT};
  if ($!{EEXIST}) { $! = Errno::ENOTEMPTY(); }
  fail('rmdir');
};
$ops{mountpoint} = sub {
  my ($root, $path) = @_;
  return in_root($root, $path, 1, sub {
    my ($e) = @_;
    return '1' unless defined $e->{parent};
    my $h = eval { open_at($e, $ROOTDIR, 'open') };
    if (!$h) { die $@ if ref $@ eq 'ARRAY' && $@->[0] eq 'RACED'; return '0'; }
    my @s = stat($h) or fail('fstat');
    my @p = stat($e->{parent}) or fail('fstat');
    return '1' if $s[0] != $p[0] || $s[1] == $p[1];
    my $real = readlink(fdp($h)) // fail('readlink');
    open(my $mi, '<', '/proc/self/mountinfo') or return '0';
    while (my $l = <$mi>) {
      my $at = (split / /, $l)[4] // next;
      $at =~ s/\\([0-7]{3})/chr(oct($1))/ge;
      return '1' if $at eq $real;
    }
    return '0';
  });
};
$ops{write} = sub {
  my ($root, $path, $data, $expect, $mode, $uid, $gid, $fsync, $keep) = @_;
  too_big() if length($data) > $MAXBYTES;
  my $e = walk($root, $path, 0);
  if (!defined $e->{parent}) { $! = Errno::EISDIR(); fail('the host root'); }
  my $dir = $e->{parent};
  my $c = current_file($e);
  my ($cur, $cs) = ($c->{fh}, $c->{st});
  if ($expect ne '') {
    my $what;
    if ($expect eq '-') { $what = 'already exists' if %$c; }
    elsif ($c->{link}) { $what = 'is a symbolic link'; }
    elsif (!%$c) { $what = 'does not exist'; }
    elsif (!$cur) { $what = 'is not a regular file'; }
    else {
      require Digest::SHA;
      my $sha = Digest::SHA->new(256);
      $sha->addfile($cur);
      $what = 'has changed' unless $sha->hexdigest eq $expect;
    }
    die ['ECONFLICT', "the file $what (compare-and-swap refused)"] if defined $what;
  }
  close($cur) if $cur;
  my $tmp = "$e->{name}.tmp.$$." . random_hex();
  sysopen(my $t, fdp($dir, $tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, $keep eq '1' ? 0666 : 0600) or fail('create the temp file');
  my $ok = eval {
    binmode $t;
    for (my $off = 0; $off < length $data; ) { $off += syswrite($t, $data, 1 << 20, $off) // fail('write'); }
    if ($keep ne '1') {
      my @ts = stat($t) or fail('fstat');
      my $m = $mode ne '' ? oct($mode) : $cs ? ($cs->[2] & 07777) : 0644;
      my $u = $uid ne '' ? $uid : $cs ? $cs->[4] : $ts[4];
      my $g = $gid ne '' ? $gid : $cs ? $cs->[5] : $ts[5];
      if ($u != $ts[4] || $g != $ts[5]) { chown($u, $g, $t) or fail('fchown'); }
      chmod($m, $t) or fail('fchmod');
    }
    if ($fsync eq '1') { $t->sync or fail('fsync'); }
    rename(fdp($dir, $tmp), $e->{path}) or fail('rename');
    1;
  };
  if (!$ok) { my $err = $@; close($t); unlink(fdp($dir, $tmp)); die $err; }
  # The file written, as it is after the rename (through its own handle, not the name): its watch event is an echo.
  my @ws = Time::HiRes::stat($t);
  close($t);
  # The folder is fsync'd once for the whole batch, before the answers leave (SERVE).
  if ($fsync eq '1') { my @ds = stat($dir); $DIRSYNC{"$ds[0]:$ds[1]"} //= $dir if @ds; }
  return @ws ? statline(@ws) : '';
};
$ops{'write-locked'} = sub {
  my ($root, $lockpath, $path, $data, $expect) = @_;
  my @lockdir = segs($lockpath);
  pop @lockdir;
  $ops{mkdir}->($root, '/' . join('/', @lockdir), '755', '1') if @lockdir;
  my $le = walk($root, $lockpath, 0);
  if (!defined $le->{parent}) { $! = Errno::EISDIR(); fail('the lock file'); }
  sysopen(my $l, $le->{path}, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644) or fail('open the lock file');
  if (!flock($l, Fcntl::LOCK_EX() | Fcntl::LOCK_NB())) {
    return 'busy' if $!{EWOULDBLOCK} || $!{EAGAIN};
    fail('flock');
  }
  my $umask = umask(027);
  my $line;
  my $ok = eval { $line = $ops{write}->($root, $path, $data, $expect, '', '', '', '1', '1'); 1 };
  my $err = $@;
  umask($umask);
  close($l);
  die $err unless $ok;
  return "written $line";
};
`;
