/**
 * The constant remote helper the SSH transport runs for what SFTP cannot do safely: every file operation of a
 * host with a sandbox root (resolved inside it with openat2 RESOLVE_IN_ROOT semantics and acted on through the
 * folder descriptor the walk ended in: ssh-helper-files-script.ts), and the checked folder changes (a folder
 * changed through a descriptor it checked). Perl is on every Proxmox and Debian host; this uses only its core
 * (Fcntl, Errno, POSIX, IO::Handle, MIME::Base64, Digest::SHA, Time::HiRes). One long-lived process per
 * connection serves requests on stdin, one per line: `ID OP ARG...` with every word base64-encoded (so no byte
 * of a path or of file content is ever interpreted), and answers `ID OK B64` or `ID ERR ERRNO B64` per line.
 * Nothing from the caller is ever part of the script.
 *
 * How a path is resolved (`walk`): from the root folder (opened by its configured path, trusted like a chroot's),
 * every folder on the way is opened through the one before it (`/proc/self/fd/N/NAME`, O_NOFOLLOW|O_DIRECTORY);
 * a symlink met on the way is read and its target walked instead (an absolute one from the root, `..` never
 * above it). The walk ends in the entry's parent folder, held open and checked inside the root by its real path
 * (`/proc/self/fd/N`), and the entry's name: operations act on `/proc/self/fd/N/NAME` (opening it O_NOFOLLOW),
 * never on a path looked up again.
 *
 * Checked ops (ROOT is the real sandbox root, `/` for none; paths are host paths, absolute and normalized):
 * - `resolve ROOT PATH FOLLOW` → `E PATH2` or `M PATH2`: the host path with every symlink resolved inside ROOT,
 *   and whether its last component exists (a missing folder on the way is ENOENT).
 * - `chmod-checked ROOT WITHIN PATH MODE DEV INO`, `chown-checked ROOT WITHIN PATH UID GID DEV INO`: open PATH's
 *   folder through its resolved parent with O_NOFOLLOW|O_DIRECTORY, require inode DEV:INO (`-` for any) and that
 *   `/proc/self/fd/N` lies inside WITHIN, then fchmod/fchown the handle.
 * - `mkdir-checked ROOT WITHIN PATH MODE` → the new folder's stat: the parent, opened, must lie inside WITHIN.
 * - `rmdir-checked ROOT WITHIN PATH DEV INO`: as chmod's checks, then rmdir through the checked parent (gone: OK).
 * - `unlink-checked ROOT WITHIN PATH DEV INO NAME`: as chmod's checks on the folder PATH, then unlink NAME (one
 *   path component) through its handle (`/proc/self/fd/N/NAME`; gone: OK).
 * - `probe ROOT NAME (WITHIN PATH DEV INO)...` → one outcome per folder after the first, space-separated
 *   (`linked`, `EXDEV`, `EPERM`): every folder opened and checked as chmod's, a leftover NAME removed from each,
 *   NAME created in the first (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), linked into each other folder not seen yet (by
 *   inode), every name made removed again whatever happens; all through the handles.
 * - `kill PID`: SIGKILL to a process this user started over the connection (a watch stream being replaced: one
 *   request instead of an exec of `kill`; gone already: OK).
 * Stats are `RAWMODE_HEX UID GID SIZE MTIME DEV INO NLINK RDEVMAJOR_HEX RDEVMINOR_HEX` (file-stat.ts parses them).
 */
import { HELPER_FILE_OPS, MAX_HELPER_FILE_BYTES } from './ssh-helper-files-script.js';

export { MAX_HELPER_FILE_BYTES };

/** Resolving inside the root, and what every op shares. */
const PRELUDE = String.raw`
use strict; use warnings;
use Fcntl qw(O_RDONLY O_WRONLY O_CREAT O_EXCL O_DIRECTORY O_NOFOLLOW O_NONBLOCK);
use Errno ();
use IO::Handle ();
use MIME::Base64 qw(encode_base64 decode_base64);
use Time::HiRes ();
use POSIX ();
# Folders to fsync before the answers of this batch leave (see SERVE), by device:inode.
my %DIRSYNC;
$| = 1;
binmode STDIN; binmode STDOUT;
my $DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
my $ROOTDIR = O_RDONLY | O_DIRECTORY;
sub fail { my ($what) = @_; my $n = (grep { $!{$_} } keys %!)[0] // 'EIO'; die [$n, "$what: $!"]; }
sub fdp { my ($fh, $name) = @_; my $p = '/proc/self/fd/' . fileno($fh); return defined $name ? "$p/$name" : $p; }
sub segs { return grep { $_ ne '' && $_ ne '.' } split m{/}, $_[0]; }
sub inside { my ($root, $p) = @_; return $root eq '/' || $p eq $root || index($p, "$root/") == 0; }
sub walk {
  my ($root, $path, $follow) = @_;
  my @todo = segs($path);
  return { root => $root } unless @todo;
  sysopen(my $r, $root, $ROOTDIR) or fail('cannot open the host root');
  my $canon = readlink(fdp($r)) // fail('cannot read the host root');
  my @stack = ([$r, '']);
  my ($links, $again) = (0, 0);
  my $link = sub {
    my ($t) = @_;
    if (++$links > 40) { $! = Errno::ELOOP(); fail('too many symbolic links'); }
    splice(@stack, 1) if $t =~ m{^/};
    unshift @todo, segs($t);
  };
  while (@todo) {
    my $name = shift @todo;
    if ($name eq '..') { pop @stack if @stack > 1; next; }
    my $p = fdp($stack[-1][0], $name);
    if (!@todo) {
      my $t = $follow ? readlink($p) : undef;
      if (defined $t) { $link->($t); next; }
      return entry(\@stack, $name, $root, $canon);
    }
    if (sysopen(my $h, $p, $DIR)) { push @stack, [$h, $name]; next; }
    fail('a folder on the way') unless $!{ENOTDIR};
    my $t = readlink($p);
    if (!defined $t) {
      # Not a symlink (any more): a folder swapped back since the open is opened again (as many times as links).
      if ($!{EINVAL} && ++$again <= 40) { unshift @todo, $name; next; }
      $! = Errno::ENOTDIR(); fail('a folder on the way');
    }
    $link->($t);
  }
  return { root => $root, canon => $canon } if @stack == 1;
  my $top = pop @stack;
  return entry(\@stack, $top->[1], $root, $canon);
}
sub entry {
  my ($stack, $name, $root, $canon) = @_;
  my $parent = $stack->[-1][0];
  my $where = readlink(fdp($parent)) // fail('cannot read a folder on the way');
  die ['EESCAPE', 'a folder on the way left the host root'] unless inside($canon, $where);
  return { parent => $parent, name => $name, where => $where, root => $root, canon => $canon, path => fdp($parent, $name) };
}
sub hostpath { my ($e, $real) = @_; my $c = $e->{canon} // '/'; return $real if $c eq '/'; return '/' if $real eq $c; return substr($real, length $c); }
sub open_entry_dir {
  my ($e) = @_;
  my $h;
  return $h if sysopen($h, $e->{path} // $e->{root}, defined $e->{parent} ? $DIR : $ROOTDIR);
  my $err = $!;
  my @l = lstat($e->{path} // $e->{root});
  my $now = !@l ? 'gone' : -l _ ? 'now a symlink' : 'now not a folder';
  die ['ECONFLICT', "changed since it was observed ($now)"];
}
sub within_real {
  my ($root, $within) = @_;
  my $e = walk($root, $within, 1);
  my $h;
  sysopen($h, $e->{path} // $e->{root}, defined $e->{parent} ? $DIR : $ROOTDIR) or fail('the tree');
  return readlink(fdp($h)) // fail('the tree');
}
sub devsplit { my ($d) = @_; return ((($d >> 8) & 0xfff) | (($d >> 32) & ~0xfff), ($d & 0xff) | (($d >> 12) & ~0xff)); }
sub statline {
  my @s = @_;
  my ($major, $minor) = devsplit($s[6] || 0);
  return sprintf('%x %d %d %d %.6f %d %d %d %x %x %.6f', $s[2], $s[4], $s[5], $s[7], $s[9], $s[0], $s[1], $s[3], $major & 0xffffffff, $minor & 0xffffffff, $s[10]);
}
sub checked_folder {
  my ($root, $within, $path, $dev, $ino) = @_;
  my $w = within_real($root, $within);
  my $e = walk($root, $path, 0);
  my $h = open_entry_dir($e);
  my @s = stat($h) or fail('fstat');
  die ['ECONFLICT', 'changed since it was observed (another folder)'] if $dev ne '-' && ($s[0] != $dev || $s[1] != $ino);
  my $at = readlink(fdp($h)) // fail('cannot read the folder');
  die ['EESCAPE', 'the folder lies outside the tree'] unless inside($w, $at);
  return ($h, $e);
}
sub entryname { my ($n) = @_; die ['EESCAPE', 'not a single file name'] if $n eq '' || $n eq '.' || $n eq '..' || $n =~ m{[/\0]}; }
sub unlink_in { my ($h, $name) = @_; unlink(fdp($h, $name)) or $!{ENOENT} or fail('unlink'); }
sub errno_of { return [(grep { $!{$_} } keys %!)[0] // 'EIO', "$_[0]: $!"]; }
`;

/** The checked folder changes (and `resolve`), as `%ops`. */
const CHECKED_OPS = String.raw`
my %ops = (
  resolve => sub {
    my ($root, $path, $follow) = @_;
    my $e = walk($root, $path, $follow);
    return 'E /' unless defined $e->{parent};
    my $real = $e->{where} eq '/' ? "/$e->{name}" : "$e->{where}/$e->{name}";
    return ((lstat($e->{path}) ? 'E ' : 'M ') . hostpath($e, $real));
  },
  'chmod-checked' => sub {
    my ($root, $within, $path, $mode, $dev, $ino) = @_;
    my ($h) = checked_folder($root, $within, $path, $dev, $ino);
    chmod(oct($mode), $h) or fail('fchmod');
    return '';
  },
  'chown-checked' => sub {
    my ($root, $within, $path, $uid, $gid, $dev, $ino) = @_;
    my ($h) = checked_folder($root, $within, $path, $dev, $ino);
    chown($uid, $gid, $h) or fail('fchown');
    return '';
  },
  'mkdir-checked' => sub {
    my ($root, $within, $path, $mode) = @_;
    my $w = within_real($root, $within);
    my $e = walk($root, $path, 0);
    if (!defined $e->{parent}) { $! = Errno::EEXIST(); fail('mkdir'); }
    die ['EESCAPE', 'the parent folder lies outside the tree'] unless inside($w, $e->{where});
    mkdir($e->{path}, oct($mode)) or fail('mkdir');
    my $h = open_entry_dir($e);
    my @s = Time::HiRes::stat($h) or fail('fstat');
    return statline(@s);
  },
  'rmdir-checked' => sub {
    my ($root, $within, $path, $dev, $ino) = @_;
    my ($h, $e) = eval { checked_folder($root, $within, $path, $dev, $ino) };
    if (ref $@ eq 'ARRAY' && ($@->[0] eq 'ENOENT' || ($@->[0] eq 'ECONFLICT' && $@->[1] =~ /gone/))) { return ''; }
    die $@ if $@;
    die ['EBUSY', 'cannot remove the host root'] unless defined $e->{parent};
    rmdir($e->{path}) or ($!{ENOENT} ? return '' : fail('rmdir'));
    return '';
  },
  'unlink-checked' => sub {
    my ($root, $within, $path, $dev, $ino, $name) = @_;
    entryname($name);
    my ($h) = checked_folder($root, $within, $path, $dev, $ino);
    unlink_in($h, $name);
    return '';
  },
  kill => sub {
    my ($pid) = @_;
    die ['EINVAL', 'not a process id'] unless $pid =~ /^[1-9][0-9]{0,9}$/ && $pid > 1;
    kill('KILL', $pid) or $!{ESRCH} or fail('kill');
    return '';
  },
  probe => sub {
    my ($root, $name, @args) = @_;
    entryname($name);
    die ['EINVAL', 'bad arguments'] if !@args || @args % 4;
    my @open;
    while (@args) {
      my ($within, $path, $dev, $ino) = splice(@args, 0, 4);
      my ($h) = eval { checked_folder($root, $within, $path, $dev, $ino) };
      die(ref $@ eq 'ARRAY' ? [$@->[0], "$path: $@->[1]"] : $@) if $@;
      my @s = stat($h) or fail('fstat');
      push @open, [$h, "$s[0]:$s[1]"];
    }
    unlink_in($_->[0], $name) for @open;
    my ($from, @into) = @open;
    sysopen(my $f, fdp($from->[0], $name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600) or fail('create the probe file');
    close($f);
    my @made = ($from->[0]);
    my %seen = ($from->[1] => 'linked');
    my @out;
    my $ok = eval {
      for my $t (@into) {
        my $o = $seen{$t->[1]};
        if (!defined $o) {
          if (link(fdp($from->[0], $name), fdp($t->[0], $name))) { $o = 'linked'; push @made, $t->[0]; }
          elsif ($!{EXDEV}) { $o = 'EXDEV'; }
          elsif ($!{EPERM}) { $o = 'EPERM'; }
          else { fail('link'); }
          $seen{$t->[1]} = $o;
        }
        push @out, $o;
      }
      1;
    };
    my $err = $ok ? undef : $@;
    for my $h (@made) { unlink(fdp($h, $name)) or $!{ENOENT} or $err //= errno_of('unlink'); }
    die $err if defined $err;
    return join(' ', @out);
  },
);
`;

/**
 * Serves requests until stdin ends. Batched both ways: every request that arrived in one read is answered, and
 * the answers leave in one write (STDOUT is flushed once per batch, not per line), so the requests many
 * resources make in the same tick cost one round trip. The folders that writes renamed into are fsync'd once per
 * batch (a hundred configs written in /etc/pve/lxc: one folder fsync, not a hundred), before any answer leaves.
 */
const SERVE = String.raw`
$| = 0;
my $inbuf = '';
my $answers = '';
while (1) {
  my $n = sysread(STDIN, $inbuf, 1 << 20, length $inbuf);
  last unless $n;
  while ((my $nl = index($inbuf, "
")) >= 0) {
    my $line = substr($inbuf, 0, $nl + 1, '');
    chomp $line;
    my ($id, @args) = split / /, $line, -1;
    @args = map { decode_base64($_) } @args;
    my $op = $ops{shift(@args) // ''};
    my $out = eval { die ['EINVAL', 'unknown operation'] unless $op; $op->(@args) };
    if (ref $@ eq 'ARRAY') { $answers .= "$id ERR $@->[0] " . encode_base64($@->[1], '') . "\n"; }
    elsif ($@) { $answers .= "$id ERR EIO " . encode_base64("$@", '') . "\n"; }
    else { $answers .= "$id OK " . encode_base64($out, '') . "\n"; }
  }
  # The folders the batch's writes renamed into, fsync'd once each before any answer leaves.
  $_->sync for values %DIRSYNC;
  %DIRSYNC = ();
  print $answers;
  $answers = '';
  STDOUT->flush();
}
`;

export const HELPER_SCRIPT = PRELUDE + CHECKED_OPS + HELPER_FILE_OPS + SERVE;
